using System.Buffers;

namespace Orleans.Stream.Storage;

/// <summary>
/// Whole record batches read from a log, in a pooled buffer: dispose it when done with <see cref="Batches"/>.
/// Every batch in it passed its CRC check.
/// </summary>
public sealed class LogReadResult : IDisposable
{
    private byte[]? _buffer;

    internal LogReadResult(byte[]? buffer, int length, long nextOffset, long highWatermark, long logStartOffset, long logEndOffset)
    {
        _buffer = buffer;
        Batches = buffer is null ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(0, length);
        NextOffset = nextOffset;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>Concatenated whole batches; the first one contains the requested offset (and may start before it).</summary>
    public ReadOnlyMemory<byte> Batches { get; private set; }

    /// <summary>Where the next sequential read starts: one past the last offset returned (the requested offset if none).</summary>
    public long NextOffset { get; }

    public long HighWatermark { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    public bool IsEmpty => Batches.IsEmpty;

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
