using System.Buffers.Binary;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

public sealed class AppendAndReadTests
{
    [Theory]
    [InlineData(FlushPolicy.GroupCommit)]
    [InlineData(FlushPolicy.Replicated)]
    public async Task Appends_get_sequential_offsets_and_every_record_reads_back_with_its_bytes(FlushPolicy policy)
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { FlushPolicy = policy });
        var expected = new List<TestRecord>();
        long next = 0;
        for (int b = 0; b < 20; b++)
        {
            int count = (b % 4) + 1;
            byte[] batch = Batches.Deterministic(b, count, valueSize: 100 + b, Batches.T0);
            AppendResult result = await log.AppendAsync(batch);
            Assert.Equal(next, result.FirstOffset);
            Assert.Equal(next + count - 1, result.LastOffset);
            for (int i = 0; i < count; i++)
            {
                expected.Add(Batches.DeterministicRecord(b, i, 100 + b, Batches.T0) with { Offset = next + i });
            }

            next += count;
        }

        Assert.Equal(next, log.LogEndOffset);
        Assert.Equal(next, log.HighWatermark);
        List<TestRecord> actual = Batches.ReadAll(log, 0, ReadBound.HighWatermark, maxBytes: 700);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Offset, actual[i].Offset);
            Assert.True(expected[i].SameContentAs(actual[i]), $"offset {i} differs");
        }
    }

    [Fact]
    public async Task Several_batches_in_one_append_are_numbered_in_order_and_stamped_in_place()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        byte[] data = [.. Batches.Deterministic(1, 3, 10, Batches.T0), .. Batches.Deterministic(2, 2, 10, Batches.T0)];
        AppendResult result = await log.AppendAsync(data, partitionLeaderEpoch: 7);
        Assert.Equal((0L, 4L), (result.FirstOffset, result.LastOffset));

        using LogReadResult read = log.Read(0, 1 << 20);
        var headers = new List<RecordBatchHeader>();
        foreach (RecordBatch batch in new RecordBatchEnumerator(read.Batches.Span))
        {
            headers.Add(batch.Header);
            Assert.True(batch.IsCrcValid);
        }

        Assert.Equal([0L, 3L], headers.Select(h => h.BaseOffset));
        Assert.All(headers, h => Assert.Equal(7, h.PartitionLeaderEpoch));
        Assert.Equal(5, read.NextOffset);
    }

    [Fact]
    public async Task Read_inside_a_batch_returns_that_whole_batch_and_respects_the_byte_budget()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        int batchSize = 0;
        for (int b = 0; b < 10; b++)
        {
            byte[] batch = Batches.Deterministic(b, 5, 200, Batches.T0);
            batchSize = batch.Length;
            await log.AppendAsync(batch);
        }

        using (LogReadResult read = log.Read(12, maxBytes: 1))
        {
            // Offset 12 lives in the batch 10..14; one byte of budget still yields that whole batch.
            Assert.Equal(batchSize, read.Batches.Length);
            Assert.Equal(10, RecordBatchHeader.Read(read.Batches.Span).BaseOffset);
            Assert.Equal(15, read.NextOffset);
        }

        using (LogReadResult read = log.Read(0, maxBytes: (batchSize * 3) + 10))
        {
            Assert.Equal(batchSize * 3, read.Batches.Length);
            Assert.Equal(15, read.NextOffset);
        }
    }

    [Fact]
    public async Task Offsets_outside_the_log_are_refused_and_the_end_reads_empty()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        await log.AppendAsync(Batches.Deterministic(0, 3, 10, Batches.T0));

        var negative = Assert.Throws<OffsetOutOfRangeException>(() => log.Read(-1, 100));
        Assert.Contains("negative", negative.Message);
        Assert.Equal(1, negative.KafkaErrorCode);
        Assert.Throws<OffsetOutOfRangeException>(() => log.Read(4, 100));
        using LogReadResult atEnd = log.Read(3, 100);
        Assert.True(atEnd.IsEmpty);
        Assert.Equal(3, atEnd.NextOffset);
    }

    [Fact]
    public async Task Bad_input_gets_a_typed_error_and_leaves_the_log_unchanged()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { MaxMessageBytes = 2000 });
        await log.AppendAsync(Batches.Deterministic(0, 2, 10, Batches.T0));
        long sizeBefore = log.SizeInBytes;

        byte[] badCrc = Batches.Deterministic(1, 2, 10, Batches.T0);
        badCrc[^1] ^= 0xFF;
        byte[] badMagic = Batches.Deterministic(1, 2, 10, Batches.T0);
        badMagic[16] = 0;
        byte[] tooBig = Batches.Deterministic(1, 1, 3000, Batches.T0);
        byte[] cut = Batches.Deterministic(1, 2, 10, Batches.T0)[..^4];
        byte[] goodThenBad = [.. Batches.Deterministic(1, 2, 10, Batches.T0), .. badCrc];

        await Assert.ThrowsAsync<CorruptRecordException>(async () => await log.AppendAsync(badCrc));
        await Assert.ThrowsAsync<CorruptRecordException>(async () => await log.AppendAsync(badMagic));
        var tooLarge = await Assert.ThrowsAsync<RecordTooLargeException>(async () => await log.AppendAsync(tooBig));
        Assert.Equal(10, tooLarge.KafkaErrorCode);
        await Assert.ThrowsAsync<CorruptRecordException>(async () => await log.AppendAsync(cut));
        await Assert.ThrowsAsync<CorruptRecordException>(async () => await log.AppendAsync(goodThenBad));
        await Assert.ThrowsAsync<InvalidRecordException>(async () => await log.AppendAsync(Array.Empty<byte>()));

        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(sizeBefore, log.SizeInBytes);
        AppendResult next = await log.AppendAsync(Batches.Deterministic(2, 1, 10, Batches.T0));
        Assert.Equal(2, next.FirstOffset);
        Assert.Equal(3, Batches.ReadAll(log).Count);
    }

    [Fact]
    public async Task A_reopened_log_keeps_its_records_and_continues_the_offsets()
    {
        using var fixture = new LogFixture();
        await using (PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 4096 }))
        {
            for (int b = 0; b < 30; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 3, 100, Batches.T0));
            }
        }

        await using PartitionLog reopened = fixture.Open(new LogConfig { SegmentBytes = 4096 });
        Assert.Equal(90, reopened.LogEndOffset);
        Assert.True(reopened.Segments.Count > 3);
        Assert.Equal(91, (await reopened.AppendAsync(Batches.Deterministic(99, 2, 10, Batches.T0))).LastOffset);
        List<TestRecord> all = Batches.ReadAll(reopened);
        Assert.Equal(Enumerable.Range(0, 92).Select(i => (long)i), all.Select(r => r.Offset));
        Assert.True(Batches.DeterministicRecord(29, 2, 100, Batches.T0).SameContentAs(all[89]));
    }

    [Fact]
    public async Task Reads_stop_at_the_high_watermark_the_owner_sets_and_long_polls_wake_on_advance()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(autoHighWatermark: false);
        await log.AppendAsync(Batches.Deterministic(0, 2, 10, Batches.T0));
        await log.AppendAsync(Batches.Deterministic(1, 2, 10, Batches.T0));
        Assert.Equal(0, log.HighWatermark);
        using (LogReadResult nothing = log.Read(0, 1 << 20))
        {
            Assert.True(nothing.IsEmpty);
        }

        Task wait = log.WaitForHighWatermarkAsync(1, CancellationToken.None);
        log.AdvanceHighWatermark(2);
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([0L, 1L], Batches.ReadAll(log, 0, ReadBound.HighWatermark).Select(r => r.Offset));
        Assert.Equal(4, Batches.ReadAll(log, 0, ReadBound.LogEnd).Count);

        log.AdvanceHighWatermark(100); // never past the log end
        Assert.Equal(4, log.HighWatermark);
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.WaitForHighWatermarkAsync(4, cts.Token));
    }

    [Fact]
    public async Task Replicated_appends_keep_the_leaders_offsets_and_refuse_going_backwards()
    {
        using var fixture = new LogFixture();
        await using PartitionLog leader = fixture.Open();
        await leader.AppendAsync(Batches.Deterministic(0, 3, 10, Batches.T0), partitionLeaderEpoch: 4);
        await leader.AppendAsync(Batches.Deterministic(1, 2, 10, Batches.T0), partitionLeaderEpoch: 4);
        using LogReadResult shipped = leader.Read(0, 1 << 20, ReadBound.LogEnd);

        using var followerDir = new TempDirectory();
        await using PartitionLog follower = PartitionLog.Open(followerDir.Path);
        AppendResult result = await follower.AppendReplicatedAsync(shipped.Batches);
        Assert.Equal((0L, 4L), (result.FirstOffset, result.LastOffset));
        using LogReadResult copy = follower.Read(0, 1 << 20, ReadBound.LogEnd);
        Assert.True(shipped.Batches.Span.SequenceEqual(copy.Batches.Span), "the follower must hold the leader's exact bytes");

        await Assert.ThrowsAsync<InvalidRecordException>(async () => await follower.AppendReplicatedAsync(shipped.Batches));
        Assert.Equal(5, follower.LogEndOffset);
    }

    [Fact]
    public async Task Timestamp_lookup_finds_the_first_record_at_or_after_the_time_across_segments()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 2048, IndexIntervalBytes = 256 });
        // Batch b holds records with timestamps T0 + 10b + {0,1,2}; offsets 3b..3b+2.
        for (int b = 0; b < 60; b++)
        {
            using var builder = new RecordBatchBuilder();
            for (int i = 0; i < 3; i++)
            {
                builder.Append(Batches.T0 + (10 * b) + i, "k"u8, new byte[50]);
            }

            await log.AppendAsync(builder.Build().ToArray());
        }

        Assert.True(log.Segments.Count > 3);
        Assert.Equal(new TimestampOffset(Batches.T0, 0), log.FindOffsetByTimestamp(0));
        Assert.Equal(new TimestampOffset(Batches.T0 + 251, 76), log.FindOffsetByTimestamp(Batches.T0 + 251));
        Assert.Equal(new TimestampOffset(Batches.T0 + 260, 78), log.FindOffsetByTimestamp(Batches.T0 + 253));
        Assert.Equal(new TimestampOffset(Batches.T0 + 592, 179), log.FindOffsetByTimestamp(Batches.T0 + 592));
        Assert.Null(log.FindOffsetByTimestamp(Batches.T0 + 593));
    }
}
