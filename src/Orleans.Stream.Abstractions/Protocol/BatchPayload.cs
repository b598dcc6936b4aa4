using System.Buffers;
using System.Runtime.InteropServices;

namespace Orleans.Stream;

/// <summary>
/// Record batch bytes on their way between client and broker, in either direction. Received into an
/// <see cref="ArrayPool{T}"/> buffer (<see cref="BatchPayloadCodec"/>) rather than a fresh array, so a 1 MB batch costs
/// the receiver no large-object allocation, zeroing, page faults or gen-2 collection.
/// <para>
/// Ownership: a payload built with <see cref="BatchPayload(Memory{byte})"/> borrows the sender's memory and the sender
/// keeps it. One built with <see cref="Lease"/> gives its memory away: it is released as soon as it has been written to
/// the wire (or, on a call inside one silo, where nothing is written, by the receiver). Whoever receives a payload owns
/// it and calls <see cref="Release"/> once done with the bytes (or never, and lets the collector have them).
/// </para>
/// </summary>
[Immutable]
public readonly struct BatchPayload
{
    // Null when the memory is borrowed from the sender.
    private readonly Ownership? _owner;

    public BatchPayload(Memory<byte> bytes) => Memory = bytes;

    private BatchPayload(Memory<byte> bytes, Ownership owner)
    {
        Memory = bytes;
        _owner = owner;
    }

    public Memory<byte> Memory { get; }

    public int Length => Memory.Length;

    public bool IsEmpty => Memory.IsEmpty;

    /// <summary>
    /// A payload over memory that <paramref name="owner"/> releases when disposed. Its ownership moves with the
    /// payload: the sender must not touch the memory after handing the payload to a call.
    /// </summary>
    public static BatchPayload Lease(ReadOnlyMemory<byte> bytes, IDisposable owner) =>
        new(MemoryMarshal.AsMemory(bytes), new Ownership(owner, releasedOnWrite: true));

    /// <summary>A payload received into a rented array. Not released on write: a receiver may pass it on more than once.</summary>
    internal static BatchPayload Received(byte[] pooled, int length) =>
        new(pooled.AsMemory(0, length), new Ownership(pooled, releasedOnWrite: false));

    /// <summary>Gives the bytes back (to the pool or the lease's owner), once however often it is called; a no-op for borrowed memory.</summary>
    public void Release() => _owner?.Release();

    /// <summary>
    /// Throws if the memory was already given back: it may belong to someone else by now and must never be written to
    /// the wire (were a message ever serialized twice, it fails instead of sending foreign bytes).
    /// </summary>
    internal void EnsureReadable()
    {
        if (_owner is { IsReleased: true })
        {
            throw new InvalidOperationException("A batch payload was written after its memory had been released.");
        }
    }

    /// <summary>After the codec has written a leased payload to the wire, its memory is no longer needed here.</summary>
    internal void ReleaseIfLeased()
    {
        if (_owner is { ReleasedOnWrite: true } lease)
        {
            lease.Release();
        }
    }

    /// <summary>Who gives the memory back (a rented array or an <see cref="IDisposable"/>), exactly once.</summary>
    private sealed class Ownership(object owner, bool releasedOnWrite)
    {
        private int _released;

        public bool ReleasedOnWrite => releasedOnWrite;

        public bool IsReleased => Volatile.Read(ref _released) != 0;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }

            if (owner is byte[] pooled)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }
            else
            {
                ((IDisposable)owner).Dispose();
            }
        }
    }
}
