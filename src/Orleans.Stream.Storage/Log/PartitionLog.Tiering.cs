using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    private long _tieredOffset;

    /// <summary>
    /// Offsets below this are safely in the remote tier (0 until the remote manifest says otherwise). With
    /// <see cref="LogConfig.RemoteStorageEnable"/>, retention deletes only local segments that end at or below it.
    /// </summary>
    public long TieredOffset => Volatile.Read(ref _tieredOffset);

    /// <summary>Records that the remote tier now holds every offset below <paramref name="offset"/>; it never moves back.</summary>
    public void MarkTiered(long offset)
    {
        long current = Volatile.Read(ref _tieredOffset);
        while (offset > current)
        {
            long seen = Interlocked.CompareExchange(ref _tieredOffset, offset, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// The next stretch to tier from <paramref name="fromOffset"/> (the remote log's end): the sealed segment holding
    /// it, from the batch that starts there, once every batch of it is below the high watermark; null when there is none
    /// yet (the offset is in the active segment, or not committed). Throws <see cref="OffsetOutOfRangeException"/> when
    /// the offset is no longer local, and <see cref="CorruptRecordException"/> when no batch starts exactly there.
    /// The caller disposes the result.
    /// </summary>
    public TierableSegment? OpenTierable(long fromOffset)
    {
        while (true)
        {
            ThrowIfUnusable();
            long generation = Volatile.Read(ref _generation);
            if (generation % 2 != 0)
            {
                Thread.Yield();
                continue;
            }

            LogView view = Volatile.Read(ref _view);
            if (fromOffset < view.LogStartOffset || fromOffset > view.Active.NextOffset)
            {
                throw new OffsetOutOfRangeException(fromOffset, view.LogStartOffset, view.Active.NextOffset);
            }

            LogSegment segment = view.Segments[view.FloorSegment(fromOffset)];
            if (!segment.IsSealed || ReferenceEquals(segment, view.Active) || segment.NextOffset > HighWatermark || fromOffset >= segment.NextOffset)
            {
                return null;
            }

            if (!segment.TryAcquire())
            {
                continue; // retention took it just now: look again
            }

            if (Volatile.Read(ref _generation) != generation)
            {
                segment.Release();
                continue;
            }

            try
            {
                return Slice(segment, fromOffset);
            }
            catch
            {
                segment.Release();
                throw;
            }
        }
    }

    /// <summary>Scans the segment's batch headers once: where the stretch starts, its indexes, timestamps and epochs.</summary>
    private TierableSegment Slice(LogSegment segment, long fromOffset)
    {
        var builder = new SliceBuilder(fromOffset, Config.IndexIntervalBytes);
        try
        {
            segment.VisitHeaders(builder, static (b, header) => b.Add(header));
            builder.Finish();
            if (builder.StartPosition < 0)
            {
                throw new CorruptRecordException(
                    $"Segment {segment.LogPath} has no batch starting at offset {fromOffset}: the remote tier cannot continue from there.");
            }

            return new TierableSegment(segment, builder.StartPosition, fromOffset, builder.LastOffset, builder.MaxTimestamp,
                builder.Offsets.ToBytes(), builder.Times.ToBytes(), [.. builder.Epochs]);
        }
        finally
        {
            builder.Offsets.Release();
            builder.Times.Release();
        }
    }

    /// <summary>Collects, batch by batch, what a <see cref="TierableSegment"/> needs (same indexing rules as a local segment).</summary>
    private sealed class SliceBuilder(long fromOffset, int indexIntervalBytes)
    {
        private long _position;
        private long _bytesSinceIndexEntry;

        public OffsetIndex Offsets { get; } = new();

        public TimeIndex Times { get; } = new();

        public List<EpochEntry> Epochs { get; } = [];

        public long StartPosition { get; private set; } = -1;

        public long LastOffset { get; private set; } = -1;

        public long MaxTimestamp { get; private set; } = -1;

        public void Add(RecordBatchHeader header)
        {
            long position = _position;
            _position += header.TotalSize;
            if (header.LastOffset < fromOffset)
            {
                return;
            }

            if (StartPosition < 0)
            {
                if (header.BaseOffset != fromOffset)
                {
                    return; // a batch straddles the start: the caller reports it
                }

                StartPosition = position;
            }

            int relativeOffset = checked((int)(header.BaseOffset - fromOffset));
            if (_bytesSinceIndexEntry > indexIntervalBytes)
            {
                Offsets.Add(relativeOffset, checked((int)(position - StartPosition)));
                Times.MaybeAdd(MaxTimestamp, checked((int)(LastOffset - fromOffset)));
                _bytesSinceIndexEntry = 0;
            }

            _bytesSinceIndexEntry += header.TotalSize;
            MaxTimestamp = Math.Max(MaxTimestamp, header.MaxTimestamp);
            LastOffset = header.LastOffset;
            if (Epochs.Count == 0 || Epochs[^1].Epoch != header.PartitionLeaderEpoch)
            {
                Epochs.Add(new EpochEntry(header.PartitionLeaderEpoch, header.BaseOffset));
            }
        }

        /// <summary>As a sealed local segment: a last time index entry for the newest timestamp.</summary>
        public void Finish()
        {
            if (StartPosition >= 0)
            {
                Times.MaybeAdd(MaxTimestamp, checked((int)(LastOffset - fromOffset)));
            }
        }
    }
}
