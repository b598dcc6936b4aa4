using System.Buffers;

namespace Orleans.Stream.Tiering;

/// <summary>
/// Whole record batches read from a remote segment, in a pooled buffer: dispose it when done with <see cref="Batches"/>.
/// Every batch in it passed its CRC check; the bytes are the ones a local read of the segment returns.
/// </summary>
public sealed class RemoteReadResult : IDisposable
{
    private byte[]? _buffer;

    internal RemoteReadResult(byte[]? buffer, int length, long nextOffset)
    {
        _buffer = buffer;
        Batches = buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, length);
        NextOffset = nextOffset;
    }

    /// <summary>Concatenated whole batches; the first one contains the requested offset (and may start before it).</summary>
    public ReadOnlyMemory<byte> Batches { get; private set; }

    /// <summary>Where the next sequential read starts: one past the last offset returned (the requested offset if none).</summary>
    public long NextOffset { get; }

    public bool IsEmpty => Batches.IsEmpty;

    internal static RemoteReadResult Empty(long offset) => new(null, 0, offset);

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        Batches = ReadOnlyMemory<byte>.Empty;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
