using System.Buffers;

namespace Orleans.Stream;

/// <summary>
/// Record batch bytes on their way between client and broker. Sent from whatever memory the sender has (its
/// pooled batch buffer); received into an <see cref="ArrayPool{T}"/> buffer (<see cref="BatchPayloadCodec"/>) rather
/// than a fresh array, so a 1 MB batch costs the receiver no large-object allocation, zeroing or gen-2 collection.
/// The receiver owns a received payload and must <see cref="Release"/> it once done with the bytes.
/// </summary>
[Immutable]
public readonly struct BatchPayload
{
    private readonly byte[]? _pooled;

    public BatchPayload(Memory<byte> bytes) => Memory = bytes;

    internal BatchPayload(byte[] pooled, int length)
    {
        _pooled = pooled;
        Memory = pooled.AsMemory(0, length);
    }

    public Memory<byte> Memory { get; }

    public int Length => Memory.Length;

    /// <summary>Returns a received buffer to the pool; a no-op for a payload built from the sender's own memory.</summary>
    public void Release()
    {
        if (_pooled is { } pooled)
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }
}
