using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>What the log gives the remote tier: committed sealed stretches with their indexes, and retention that waits for them.</summary>
public sealed class TieringSupportTests
{
    private static readonly LogConfig Tiered = new()
    {
        SegmentBytes = 4096,
        IndexIntervalBytes = 256,
        RemoteStorageEnable = true,
        LocalRetentionBytes = 0,
        RetentionMs = -1,
    };

    [Fact]
    public async Task A_sealed_committed_segment_is_offered_whole_with_indexes_that_find_every_batch()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(Tiered, autoHighWatermark: false);
        for (int b = 0; b < 30; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 3, 100, Batches.T0 + b), partitionLeaderEpoch: b < 5 ? 1 : 2);
        }

        LogSegmentInfo first = log.Segments[0];
        Assert.Null(log.OpenTierable(0)); // sealed, but not committed: nothing below the high watermark yet
        log.AdvanceHighWatermark(first.NextOffset);

        using TierableSegment segment = log.OpenTierable(0)!;
        Assert.Equal((0L, first.NextOffset - 1, first.SizeInBytes), (segment.BaseOffset, segment.LastOffset, segment.SizeInBytes));
        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(2, 15)], segment.Epochs);
        byte[] bytes = await ReadAllAsync(segment);
        Assert.Equal(File.ReadAllBytes(fixture.SegmentPath(0)), bytes);
        Assert.Equal(Batches.Decode(bytes).Max(record => record.Timestamp), segment.MaxTimestamp);
        AssertIndexesPointAtBatches(bytes, segment);

        // The active segment is never offered, however far the high watermark goes.
        log.AdvanceHighWatermark(log.LogEndOffset);
        Assert.Null(log.OpenTierable(log.Segments[^1].BaseOffset));
    }

    [Fact]
    public async Task A_stretch_can_start_inside_a_segment_at_a_batch_boundary_but_never_inside_a_batch()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(Tiered);
        for (int b = 0; b < 30; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 3, 100, Batches.T0 + b));
        }

        // A new leader whose segments started elsewhere continues the remote log from its end, offset 9 here.
        using TierableSegment tail = log.OpenTierable(9)!;
        Assert.Equal(9, tail.BaseOffset);
        byte[] bytes = await ReadAllAsync(tail);
        byte[] whole = File.ReadAllBytes(fixture.SegmentPath(0));
        Assert.Equal(whole.AsSpan(whole.Length - bytes.Length).ToArray(), bytes);
        Assert.Equal(9, RecordBatchHeader.Read(bytes).BaseOffset);
        AssertIndexesPointAtBatches(bytes, tail);

        Assert.Throws<CorruptRecordException>(() => log.OpenTierable(10)); // inside the batch 9-11
    }

    [Fact]
    public async Task Local_retention_deletes_only_what_the_remote_tier_holds()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(Tiered);
        for (int b = 0; b < 30; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 3, 300, Batches.T0));
        }

        IReadOnlyList<LogSegmentInfo> segments = log.Segments;
        Assert.True(segments.Count > 4);
        Assert.Equal(0, await log.DeleteExpiredSegmentsAsync()); // local.retention.bytes=0, but nothing is remote yet

        log.MarkTiered(segments[2].NextOffset - 1); // the third segment is not wholly remote
        Assert.Equal(2, await log.DeleteExpiredSegmentsAsync());
        Assert.Equal(segments[2].BaseOffset, log.LogStartOffset);

        log.MarkTiered(segments[1].NextOffset); // never moves back
        Assert.Equal(segments[2].NextOffset - 1, log.TieredOffset);
        log.MarkTiered(log.LogEndOffset);
        await log.DeleteExpiredSegmentsAsync();
        Assert.Single(log.Segments); // the active segment stays
    }

    [Fact]
    public void Local_retention_may_not_keep_more_than_the_whole_log()
    {
        Assert.Throws<ArgumentException>(() => LogConfig.FromProperties(new Dictionary<string, string> { ["retention.ms"] = "1000", ["local.retention.ms"] = "2000" }));
        Assert.Throws<ArgumentException>(() => LogConfig.FromProperties(new Dictionary<string, string> { ["retention.bytes"] = "1000", ["local.retention.bytes"] = "-1" }));
        LogConfig config = LogConfig.FromProperties(new Dictionary<string, string> { ["remote.storage.enable"] = "true", ["retention.ms"] = "5000", ["local.retention.bytes"] = "10" });
        Assert.Equal((5000L, 10L), (config.EffectiveLocalRetentionMs, config.EffectiveLocalRetentionBytes));
        Assert.Equal(-1, (config with { RemoteStorageEnable = false }).EffectiveLocalRetentionBytes); // without a remote tier, local is the whole log
    }

    private static async Task<byte[]> ReadAllAsync(TierableSegment segment)
    {
        var bytes = new byte[segment.SizeInBytes];
        Assert.Equal(bytes.Length, await segment.ReadAsync(0, bytes));
        Assert.Equal(0, await segment.ReadAsync(bytes.Length, new byte[10]));
        return bytes;
    }

    /// <summary>Every offset index entry names the position of a batch starting at that offset; the time index is ordered.</summary>
    private static void AssertIndexesPointAtBatches(byte[] log, TierableSegment segment)
    {
        ReadOnlySpan<byte> index = segment.OffsetIndex.Span;
        Assert.True(index.Length >= 8, "expected offset index entries");
        for (int i = 0; i < index.Length; i += 8)
        {
            int relative = BinaryPrimitives.ReadInt32BigEndian(index[i..]);
            int position = BinaryPrimitives.ReadInt32BigEndian(index[(i + 4)..]);
            Assert.Equal(segment.BaseOffset + relative, RecordBatchHeader.Read(log.AsSpan(position)).BaseOffset);
        }

        ReadOnlySpan<byte> times = segment.TimeIndex.Span;
        Assert.True(times.Length >= 12);
        long previous = long.MinValue;
        for (int i = 0; i < times.Length; i += 12)
        {
            long timestamp = BinaryPrimitives.ReadInt64BigEndian(times[i..]);
            Assert.True(timestamp > previous);
            previous = timestamp;
        }

        Assert.Equal(segment.MaxTimestamp, previous);
    }
}
