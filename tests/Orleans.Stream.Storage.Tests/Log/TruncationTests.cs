using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

public sealed class TruncationTests
{
    [Fact]
    public async Task Truncation_drops_whole_batches_and_later_segments_and_appends_continue_there()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 1024 };
        await using (PartitionLog log = fixture.Open(config))
        {
            for (int b = 0; b < 10; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0)); // offsets 4b..4b+3
            }

            Assert.Equal(10, log.Segments.Count);
            long newEnd = await log.TruncateToAsync(17); // inside batch 16..19: that batch goes too
            Assert.Equal(16, newEnd);
            Assert.Equal(16, log.LogEndOffset);
            Assert.Equal(16, log.HighWatermark);
            Assert.Equal(5, log.Segments.Count);
            Assert.False(File.Exists(fixture.SegmentPath(20)));
            Assert.False(File.Exists(fixture.SegmentPath(16, ".index")), "the new active segment has no sealed index on disk");

            AppendResult appended = await log.AppendAsync(Batches.Deterministic(100, 2, 30, Batches.T0));
            Assert.Equal(16, appended.FirstOffset);
            List<TestRecord> records = Batches.ReadAll(log);
            Assert.Equal(18, records.Count);
            Assert.True(Batches.DeterministicRecord(100, 1, 30, Batches.T0).SameContentAs(records[17]));
            Assert.Equal(18, await log.TruncateToAsync(18)); // at the end: nothing to do
        }

        await using PartitionLog reopened = fixture.Open(config);
        Assert.Equal(18, reopened.LogEndOffset);
        Assert.True(Batches.DeterministicRecord(100, 0, 30, Batches.T0).SameContentAs(Batches.ReadAll(reopened)[16]));
    }

    [Fact]
    public async Task Truncation_below_the_log_start_or_negative_is_refused()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024, RetentionBytes = 1000 });
        for (int b = 0; b < 5; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0));
        }

        await log.DeleteExpiredSegmentsAsync();
        Assert.True(log.LogStartOffset > 0);
        await Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await log.TruncateToAsync(log.LogStartOffset - 1));
        await Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await log.TruncateToAsync(-1));
        Assert.Equal(log.LogStartOffset, await log.TruncateToAsync(log.LogStartOffset));
        Assert.Equal(log.LogStartOffset, log.LogEndOffset);
    }

    [Fact]
    public async Task A_reset_empties_the_log_and_starts_it_past_its_end_where_the_leaders_log_now_starts()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 1024, RetentionBytes = 1000 };
        await using (PartitionLog leader = fixture.Open(config))
        await using (PartitionLog follower = fixture.OpenFollower(config))
        {
            await follower.AppendAsync(Batches.Deterministic(0, 4, 100, Batches.T0), partitionLeaderEpoch: 0); // offsets 0..3
            for (int b = 0; b < 10; b++)
            {
                await leader.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0), partitionLeaderEpoch: 1);
            }

            await leader.DeleteExpiredSegmentsAsync();
            long start = leader.LogStartOffset;
            Assert.True(start > follower.LogEndOffset, "retention must have moved the leader's start past the follower's end");

            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await follower.ResetToAsync(follower.LogEndOffset));
            Assert.Equal(start, await follower.ResetToAsync(start));
            Assert.Equal(start, follower.LogStartOffset);
            Assert.Equal(start, follower.LogEndOffset);
            Assert.Equal(-1, follower.LatestEpoch);
            Assert.Empty(Batches.ReadAll(follower, start));
            Assert.False(File.Exists(Path.Combine(follower.Directory, "00000000000000000000.log")));

            await Batches.ReplicateAsync(leader, follower); // from the follower's new end: the leader's bytes, offsets kept
            Assert.Equal(leader.LogEndOffset, follower.LogEndOffset);
            Assert.Equal(1, follower.LatestEpoch);
            Assert.Equal(Batches.ReadAll(leader).Count, Batches.ReadAll(follower).Count);
        }

        await using PartitionLog reopened = fixture.OpenFollower(config);
        Assert.True(reopened.LogStartOffset > 0);
        Assert.Equal(reopened.LogStartOffset, Batches.ReadAll(reopened)[0].Offset);
    }
}
