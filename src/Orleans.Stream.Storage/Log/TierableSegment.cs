using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

/// <summary>
/// A committed stretch of a sealed segment, ready to copy to the remote tier: its log bytes from the batch at
/// <see cref="BaseOffset"/> to the segment's end, with an offset index and a time index built for exactly those bytes
/// (in the local files' format) and the leader epochs that wrote them. Holds a reference on the segment, so its
/// file stays readable until <see cref="Dispose"/> even if retention deletes the segment meanwhile.
/// </summary>
public sealed class TierableSegment : IDisposable
{
    private readonly LogSegment _segment;
    private readonly long _startPosition;
    private int _disposed;

    internal TierableSegment(LogSegment segment, long startPosition, long baseOffset, long lastOffset, long maxTimestamp, byte[] offsetIndex, byte[] timeIndex, EpochEntry[] epochs)
    {
        _segment = segment;
        _startPosition = startPosition;
        BaseOffset = baseOffset;
        LastOffset = lastOffset;
        MaxTimestamp = maxTimestamp;
        SizeInBytes = segment.Size - startPosition;
        OffsetIndex = offsetIndex;
        TimeIndex = timeIndex;
        Epochs = epochs;
    }

    /// <summary>The first offset (a batch's base offset); index entries are relative to it.</summary>
    public long BaseOffset { get; }

    public long LastOffset { get; }

    /// <summary>The newest record timestamp in these bytes.</summary>
    public long MaxTimestamp { get; }

    public long SizeInBytes { get; }

    /// <summary>The offset index (8-byte entries: relative offset, position), as a local <c>.index</c> file holds it.</summary>
    public ReadOnlyMemory<byte> OffsetIndex { get; }

    /// <summary>The time index (12-byte entries: timestamp, relative offset), as a local <c>.timeindex</c> file holds it.</summary>
    public ReadOnlyMemory<byte> TimeIndex { get; }

    /// <summary>Where each leader epoch that wrote these batches starts, oldest first.</summary>
    public IReadOnlyList<EpochEntry> Epochs { get; }

    /// <summary>Reads log bytes from <paramref name="position"/> (relative to the first batch); fewer at the end.</summary>
    public ValueTask<int> ReadAsync(long position, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        long remaining = SizeInBytes - position;
        return remaining <= 0
            ? ValueTask.FromResult(0)
            : RandomAccess.ReadAsync(_segment.Handle, destination[..(int)Math.Min(destination.Length, remaining)], _startPosition + position, cancellationToken);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _segment.Release();
        }
    }
}
