using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

public sealed class RollAndRetentionTests
{
    [Fact]
    public async Task Segments_roll_by_size_and_a_batch_larger_than_a_segment_gets_its_own()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024 });
        for (int b = 0; b < 20; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 2, 100, Batches.T0));
        }

        await log.AppendAsync(Batches.Deterministic(99, 1, 3000, Batches.T0));
        IReadOnlyList<LogSegmentInfo> segments = log.Segments;
        Assert.True(segments.Count >= 6, $"expected several segments, got {segments.Count}");
        Assert.All(segments.Where(s => s.NextOffset - s.BaseOffset > 1), s => Assert.True(s.SizeInBytes <= 1024));
        Assert.Contains(segments, s => s.SizeInBytes > 3000 && s.NextOffset - s.BaseOffset == 1);
        Assert.All(segments.SkipLast(1), s => Assert.True(s.IsSealed));
        for (int i = 1; i < segments.Count; i++)
        {
            Assert.Equal(segments[i - 1].NextOffset, segments[i].BaseOffset);
            Assert.True(File.Exists(fixture.SegmentPath(segments[i].BaseOffset)));
            Assert.True(File.Exists(fixture.SegmentPath(segments[i - 1].BaseOffset, ".index")));
        }

        Assert.Equal(41, Batches.ReadAll(log).Count);
    }

    [Fact]
    public async Task Segments_roll_by_age_counted_from_their_first_append()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentMs = 1000 });
        fixture.Clock.Advance(TimeSpan.FromSeconds(5)); // an empty segment does not age
        await log.AppendAsync(Batches.Deterministic(0, 1, 10, fixture.NowMs));
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(999));
        await log.AppendAsync(Batches.Deterministic(1, 1, 10, fixture.NowMs));
        Assert.Single(log.Segments);
        fixture.Clock.Advance(TimeSpan.FromMilliseconds(1));
        await log.AppendAsync(Batches.Deterministic(2, 1, 10, fixture.NowMs));
        Assert.Equal([0L, 2L], log.Segments.Select(s => s.BaseOffset));
    }

    [Fact]
    public async Task Retention_by_time_deletes_expired_segments_and_moves_the_log_start()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024, RetentionMs = 60_000 });
        for (int b = 0; b < 10; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 4, 100, fixture.NowMs)); // 4 records ≈ 600 bytes: one batch per segment
        }

        fixture.Clock.Advance(TimeSpan.FromSeconds(50));
        long oldSegmentsEnd = log.LogEndOffset;
        for (int b = 10; b < 14; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 4, 100, fixture.NowMs));
        }

        Assert.Equal(0, await log.DeleteExpiredSegmentsAsync()); // nothing is a minute old yet
        fixture.Clock.Advance(TimeSpan.FromSeconds(11));
        string firstSegment = fixture.SegmentPath(0);
        int deleted = await log.DeleteExpiredSegmentsAsync();

        Assert.Equal(10, deleted);
        Assert.Equal(oldSegmentsEnd, log.LogStartOffset);
        Assert.False(File.Exists(firstSegment));
        Assert.False(File.Exists(Path.ChangeExtension(firstSegment, ".index")));
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(0, 100));
        Assert.Equal(16, Batches.ReadAll(log).Count);

        // Later everything expires, the active segment too: it is rolled and deleted, offsets go on.
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await log.DeleteExpiredSegmentsAsync();
        Assert.Equal(56, log.LogStartOffset);
        Assert.Equal(56, log.LogEndOffset);
        Assert.Equal(56, (await log.AppendAsync(Batches.Deterministic(20, 1, 10, fixture.NowMs))).FirstOffset);
    }

    [Fact]
    public async Task Retention_by_size_keeps_the_newest_segments_within_the_limit()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024, RetentionBytes = 2500, RetentionMs = -1 });
        for (int b = 0; b < 12; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0));
        }

        long before = log.SizeInBytes;
        int deleted = await log.DeleteExpiredSegmentsAsync();
        Assert.True(deleted > 0);
        // Kafka's rule: delete the oldest segment only while what remains is still at least retention.bytes.
        Assert.True(log.SizeInBytes >= 2500, $"size {log.SizeInBytes} went below retention.bytes");
        Assert.True(log.SizeInBytes - log.Segments[0].SizeInBytes < 2500, $"size {log.SizeInBytes}: one more segment should have gone");
        Assert.True(before > log.SizeInBytes);
        Assert.Equal(log.Segments[0].BaseOffset, log.LogStartOffset);
        Assert.Equal(log.LogEndOffset - log.LogStartOffset, Batches.ReadAll(log).Count);
    }

    [Fact]
    public async Task Minus_one_keeps_data_forever_and_nothing_above_the_high_watermark_is_deleted()
    {
        using var fixture = new LogFixture();
        await using (PartitionLog forever = fixture.Open(new LogConfig { SegmentBytes = 1024, RetentionMs = -1, RetentionBytes = -1 }))
        {
            for (int b = 0; b < 6; b++)
            {
                await forever.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0));
            }

            fixture.Clock.Advance(TimeSpan.FromDays(30));
            Assert.Equal(0, await forever.DeleteExpiredSegmentsAsync());
            Assert.Equal(0, forever.LogStartOffset);
        }

        using var other = new LogFixture();
        await using PartitionLog unreplicated = other.Open(new LogConfig { SegmentBytes = 1024, RetentionMs = 1000 }, autoHighWatermark: false);
        for (int b = 0; b < 6; b++)
        {
            await unreplicated.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0));
        }

        unreplicated.AdvanceHighWatermark(8);
        other.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, await unreplicated.DeleteExpiredSegmentsAsync());
        Assert.Equal(8, unreplicated.LogStartOffset);
    }
}
