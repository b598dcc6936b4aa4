using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>The log applying the idempotent producer's sequence rules to real appends, across reopen, crash and truncation.</summary>
public sealed class IdempotentAppendTests
{
    private const long ProducerId = 7;

    private static byte[] Batch(long producerId, short epoch, int baseSequence, int records, int seed = 0)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (int i = 0; i < records; i++)
        {
            builder.Append(Batches.T0 + i, System.Text.Encoding.UTF8.GetBytes($"k{seed}-{baseSequence + i}"), System.Text.Encoding.UTF8.GetBytes($"v{seed}-{baseSequence + i}"));
        }

        return builder.Build().ToArray();
    }

    private static async Task<LogException> Refused(PartitionLog log, byte[] batch) =>
        await Assert.ThrowsAnyAsync<LogException>(async () => await log.AppendAsync(batch));

    [Theory]
    [InlineData(FlushPolicy.GroupCommit)]
    [InlineData(FlushPolicy.Replicated)]
    public async Task A_retried_batch_is_answered_with_its_original_offsets_and_not_appended_again(FlushPolicy policy)
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { FlushPolicy = policy });
        await log.AppendAsync(Batches.Deterministic(1, 4, 10, Batches.T0)); // someone else's records first
        AppendResult first = await log.AppendAsync(Batch(ProducerId, 0, 0, 3));
        AppendResult second = await log.AppendAsync(Batch(ProducerId, 0, 3, 2));

        AppendResult retryOfFirst = await log.AppendAsync(Batch(ProducerId, 0, 0, 3));
        AppendResult retryOfSecond = await log.AppendAsync(Batch(ProducerId, 0, 3, 2));

        Assert.Equal((4L, 6L), (first.FirstOffset, first.LastOffset));
        Assert.Equal((first.FirstOffset, first.LastOffset), (retryOfFirst.FirstOffset, retryOfFirst.LastOffset));
        Assert.Equal((second.FirstOffset, second.LastOffset), (retryOfSecond.FirstOffset, retryOfSecond.LastOffset));
        Assert.Equal(9, log.LogEndOffset);
        Assert.Equal(9, Batches.ReadAll(log).Count);
    }

    [Fact]
    public async Task A_gap_an_unknown_producer_and_an_old_epoch_are_refused_and_nothing_is_appended()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        Assert.IsType<UnknownProducerIdException>(await Refused(log, Batch(ProducerId, 0, 5, 1)));

        await log.AppendAsync(Batch(ProducerId, 1, 0, 3));
        var gap = Assert.IsType<OutOfOrderSequenceException>(await Refused(log, Batch(ProducerId, 1, 4, 1)));
        Assert.Equal(3, gap.ExpectedSequence);
        Assert.Equal(45, gap.KafkaErrorCode);
        Assert.IsType<InvalidProducerEpochException>(await Refused(log, Batch(ProducerId, 0, 3, 1)));

        Assert.Equal(3, log.LogEndOffset);
        AppendResult filled = await log.AppendAsync(Batch(ProducerId, 1, 3, 1));
        Assert.Equal(3, filled.FirstOffset);
    }

    [Fact]
    public async Task An_idempotent_append_must_be_a_single_batch()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        byte[] two = [.. Batch(ProducerId, 0, 0, 1), .. Batch(ProducerId, 0, 1, 1)];
        var error = Assert.IsType<InvalidRecordException>(await Refused(log, two));
        Assert.Contains("exactly one record batch", error.Message);
        Assert.Equal(0, log.LogEndOffset);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Producer_state_survives_a_clean_restart_and_a_crash(bool clean)
    {
        using var fixture = new LogFixture();
        string crashCopy = fixture.Directory + "-crashed";
        await using (PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024 }))
        {
            for (int b = 0; b < 20; b++)
            {
                await log.AppendAsync(Batch(ProducerId, 0, b * 4, 4, seed: b)); // several segments
                await log.AppendAsync(Batch(ProducerId + 1, 0, b, 1, seed: b));
            }

            Assert.True(log.Segments.Count > 3);
            if (!clean)
            {
                Directory.CreateDirectory(crashCopy);
                foreach (string file in Directory.GetFiles(fixture.Directory))
                {
                    File.Copy(file, Path.Combine(crashCopy, Path.GetFileName(file)));
                }
            }
        }

        string directory = clean ? fixture.Directory : crashCopy;
        long[] snapshots = SnapshotOffsets(directory);
        Assert.True(snapshots.Length > 3); // taken at every roll (and on close)
        long logEnd = 20 * 5;
        Assert.Equal(clean, snapshots[^1] == logEnd); // after a crash the batches after the last roll are read from the log
        await using PartitionLog reopened = PartitionLog.Open(directory, new LogConfig { SegmentBytes = 1024 }, new PartitionLogOptions { Time = fixture.Clock });
        long end = reopened.LogEndOffset;

        // The last batch of each producer is recognised as a retry; the next sequence is taken; a gap is not.
        AppendResult retry = await reopened.AppendAsync(Batch(ProducerId, 0, 76, 4, seed: 19));
        Assert.Equal(end - 5, retry.FirstOffset);
        Assert.Equal(end, reopened.LogEndOffset);
        Assert.IsType<OutOfOrderSequenceException>(await Refused(reopened, Batch(ProducerId + 1, 0, 21, 1)));
        Assert.Equal(end, (await reopened.AppendAsync(Batch(ProducerId + 1, 0, 20, 1))).FirstOffset);
    }

    /// <summary>Producer <see cref="ProducerId"/>'s batches 0..19 of 4 records each: offsets 0..79, several segments at 1 KB.</summary>
    private static async Task AppendTwentyBatchesAsync(PartitionLog log)
    {
        for (int b = 0; b < 20; b++)
        {
            await log.AppendAsync(Batch(ProducerId, 0, b * 4, 4, seed: b));
        }
    }

    private static long[] SnapshotOffsets(string directory) =>
        Directory.GetFiles(directory, "*.snapshot").Select(p => long.Parse(Path.GetFileNameWithoutExtension(p), System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();

    [Fact]
    public async Task A_damaged_snapshot_is_skipped_for_an_older_one_and_the_log_after_it()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 1024 };
        await using (PartitionLog log = fixture.Open(config))
        {
            await AppendTwentyBatchesAsync(log);
        }

        long[] snapshots = SnapshotOffsets(fixture.Directory);
        File.WriteAllBytes(Path.Combine(fixture.Directory, $"{snapshots[^1]:D20}.snapshot"), [1, 2, 3]);
        await using PartitionLog reopened = fixture.Open(config);
        AppendResult retry = await reopened.AppendAsync(Batch(ProducerId, 0, 76, 4, seed: 19));
        Assert.Equal(76, retry.FirstOffset);
        Assert.Equal(80, reopened.LogEndOffset);
    }

    [Fact]
    public async Task Snapshots_go_with_the_segments_retention_deletes()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 1024, RetentionBytes = 1024 });
        await AppendTwentyBatchesAsync(log);

        Assert.True(await log.DeleteExpiredSegmentsAsync() > 0);
        long[] snapshots = SnapshotOffsets(fixture.Directory);
        Assert.NotEmpty(snapshots);
        Assert.All(snapshots, offset => Assert.True(offset >= log.LogStartOffset, $"snapshot {offset} is below log start {log.LogStartOffset}"));
    }

    [Fact]
    public async Task Truncation_deletes_snapshots_past_the_cut_so_a_restart_does_not_resurrect_removed_batches()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 1024 };
        await using (PartitionLog log = fixture.Open(config))
        {
            await AppendTwentyBatchesAsync(log);

            await log.TruncateToAsync(40);
            Assert.All(SnapshotOffsets(fixture.Directory), offset => Assert.True(offset <= 40));
            await log.AppendAsync(Batch(ProducerId + 1, 0, 0, 1)); // another producer moves the log on
        }

        await using PartitionLog reopened = fixture.Open(config);
        AppendResult again = await reopened.AppendAsync(Batch(ProducerId, 0, 40, 4, seed: 10));
        Assert.Equal(41, again.FirstOffset); // written anew, not taken for a retry of the removed batch
    }

    [Fact]
    public async Task Truncation_forgets_the_batches_it_removed_so_they_can_be_written_again()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        await log.AppendAsync(Batch(ProducerId, 0, 0, 2));
        await log.AppendAsync(Batch(ProducerId, 0, 2, 2));
        await log.TruncateToAsync(2);

        Assert.IsType<OutOfOrderSequenceException>(await Refused(log, Batch(ProducerId, 0, 4, 2)));
        AppendResult again = await log.AppendAsync(Batch(ProducerId, 0, 2, 2));
        Assert.Equal(2, again.FirstOffset);
        Assert.Equal(4, log.LogEndOffset);
    }

    [Fact]
    public async Task A_follower_learns_producer_state_from_replicated_batches()
    {
        using var fixture = new LogFixture();
        await using PartitionLog leader = fixture.Open();
        await using PartitionLog follower = fixture.OpenFollower();
        await leader.AppendAsync(Batch(ProducerId, 0, 0, 3));
        await leader.AppendAsync(Batch(ProducerId, 0, 3, 3));
        await Batches.ReplicateAsync(leader, follower);

        // The follower, as a new leader, answers the producer's retry with the original offsets.
        AppendResult retry = await follower.AppendAsync(Batch(ProducerId, 0, 3, 3));
        Assert.Equal((3L, 5L), (retry.FirstOffset, retry.LastOffset));
        Assert.Equal(6, follower.LogEndOffset);
    }

    [Fact]
    public async Task Expiration_counts_from_when_the_log_saw_a_producer_not_from_its_records_timestamps()
    {
        using var fixture = new LogFixture();
        using var builder = new RecordBatchBuilder { ProducerId = ProducerId, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(timestamp: 1, key: null, value: new byte[] { 42 }); // January 1970
        byte[] ancient = builder.Build().ToArray();
        await using (PartitionLog log = fixture.Open())
        {
            await log.AppendAsync(ancient);
            await log.DeleteExpiredSegmentsAsync();
            Assert.Equal(0, (await log.AppendAsync(ancient)).FirstOffset);
        }

        await using PartitionLog reopened = fixture.Open();
        Assert.Equal(0, (await reopened.AppendAsync(ancient)).FirstOffset); // still recognised after a restart
        Assert.Equal(1, reopened.LogEndOffset);
    }

    [Fact]
    public async Task Producers_idle_past_the_expiration_are_forgotten_at_the_retention_pass()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = PartitionLog.Open(fixture.Directory, new LogConfig(),
            new PartitionLogOptions { Time = fixture.Clock, ProducerIdExpiration = TimeSpan.FromHours(1) });
        await log.AppendAsync(Batch(ProducerId, 0, 0, 1));
        fixture.Clock.Advance(TimeSpan.FromMinutes(30));
        await log.DeleteExpiredSegmentsAsync();
        Assert.IsType<OutOfOrderSequenceException>(await Refused(log, Batch(ProducerId, 0, 5, 1)));

        fixture.Clock.Advance(TimeSpan.FromHours(1));
        await log.DeleteExpiredSegmentsAsync();
        Assert.IsType<UnknownProducerIdException>(await Refused(log, Batch(ProducerId, 0, 1, 1)));
    }
}
