using Orleans.Stream.Storage.Log;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>The leader-epoch cache (<c>leader-epoch-checkpoint</c>) kept by a real log through appends, truncation, retention and reopen.</summary>
public sealed class LeaderEpochTests
{
    /// <summary>A batch of <paramref name="records"/> records carrying <paramref name="epoch"/> in its header (-1: none, as producers send).</summary>
    private static byte[] Batch(int records, int epoch = -1)
    {
        using var builder = new RecordBatchBuilder { PartitionLeaderEpoch = epoch };
        for (int i = 0; i < records; i++)
        {
            builder.Append(Batches.T0 + i, System.Text.Encoding.UTF8.GetBytes($"k{i}"), new byte[100]);
        }

        return builder.Build().ToArray();
    }

    private static EpochEntry[] Entries(params (int Epoch, long StartOffset)[] entries) =>
        Array.ConvertAll(entries, e => new EpochEntry(e.Epoch, e.StartOffset));

    private static string FilePath(string directory) => Path.Combine(directory, LeaderEpochCache.FileName);

    private static readonly LogConfig SmallSegments = new() { SegmentBytes = 1024 };

    private static readonly EpochEntry[] FourEpochs = Entries((0, 0), (1, 20), (2, 40), (3, 60));

    /// <summary>
    /// A new fixture holding a closed log of 20 batches of 4 records (offsets 4b..4b+3), each in its own 1 KB segment,
    /// batch b in epoch b / 5: epochs 0, 1, 2, 3 start at 0, 20, 40, 60.
    /// </summary>
    private static async Task<LogFixture> ClosedLogInFourEpochsAsync()
    {
        var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(SmallSegments);
        for (int b = 0; b < 20; b++)
        {
            await log.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0), partitionLeaderEpoch: b / 5);
        }

        Assert.Equal(20, log.Segments.Count);
        Assert.Equal(FourEpochs, log.LeaderEpochEntries);
        return fixture;
    }

    [Fact]
    public async Task Each_newer_epoch_is_recorded_at_its_first_offset_and_older_or_missing_epochs_add_nothing()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        Assert.Equal(-1, log.LatestEpoch);

        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 0);          // 0..2
        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 0);          // 3..5
        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 2);          // 6..8
        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 1);          // 9..11: a stale leader's epoch
        await log.AppendAsync(Batch(3));                                   // 12..14: no epoch anywhere
        await log.AppendAsync(Batch(3, epoch: 4));                         // 15..17: the epoch the batch carries
        byte[] three = [.. Batch(2, epoch: 4), .. Batch(2, epoch: 6), .. Batch(2, epoch: 5)];
        await log.AppendAsync(three);                                      // 18..23, one append

        Assert.Equal(Entries((0, 0), (2, 6), (4, 15), (6, 20)), log.LeaderEpochEntries);
        Assert.Equal(6, log.LatestEpoch);
        Assert.Equal(log.LeaderEpochEntries, LeaderEpochCache.TryRead(fixture.Directory));
    }

    [Fact]
    public async Task EndOffsetForEpoch_answers_for_exact_between_newer_and_older_epochs()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        Assert.Equal(new EpochEndOffset(-1, -1), log.EndOffsetForEpoch(0));

        await log.AppendAsync(Batch(6), partitionLeaderEpoch: 2); // 0..5
        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 4); // 6..8
        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 7); // 9..11

        Assert.Equal(new EpochEndOffset(2, 6), log.EndOffsetForEpoch(2));
        Assert.Equal(new EpochEndOffset(2, 6), log.EndOffsetForEpoch(3));
        Assert.Equal(new EpochEndOffset(4, 9), log.EndOffsetForEpoch(4));
        Assert.Equal(new EpochEndOffset(4, 9), log.EndOffsetForEpoch(6));
        Assert.Equal(new EpochEndOffset(7, 12), log.EndOffsetForEpoch(7));
        Assert.Equal(new EpochEndOffset(7, 12), log.EndOffsetForEpoch(100));
        Assert.Equal(new EpochEndOffset(-1, -1), log.EndOffsetForEpoch(1));
        Assert.Equal(new EpochEndOffset(-1, -1), log.EndOffsetForEpoch(-1));

        await log.AppendAsync(Batch(3), partitionLeaderEpoch: 7); // the newest epoch ends at the log end, which moves
        Assert.Equal(new EpochEndOffset(7, 15), log.EndOffsetForEpoch(7));
        Assert.Equal(new EpochEndOffset(4, 9), log.EndOffsetForEpoch(5));
    }

    [Fact]
    public async Task Replicated_appends_carry_the_leaders_epochs_to_a_follower()
    {
        using var fixture = new LogFixture();
        await using PartitionLog leader = fixture.Open();
        await using PartitionLog follower = fixture.OpenFollower();
        int[] epochs = [1, 1, 3, 3, 3, 6];
        foreach (int epoch in epochs)
        {
            await leader.AppendAsync(Batch(2), partitionLeaderEpoch: epoch);
        }

        await Batches.ReplicateAsync(leader, follower); // one append spanning three epochs

        Assert.Equal(Entries((1, 0), (3, 4), (6, 10)), follower.LeaderEpochEntries);
        Assert.Equal(leader.LeaderEpochEntries, follower.LeaderEpochEntries);
        for (int epoch = -1; epoch <= 7; epoch++)
        {
            Assert.Equal(leader.EndOffsetForEpoch(epoch), follower.EndOffsetForEpoch(epoch));
        }

        // A replicated batch with an older epoch than the follower knows adds nothing.
        using var builder = new RecordBatchBuilder { BaseOffset = 12, PartitionLeaderEpoch = 2 };
        builder.Append(Batches.T0, null, new byte[] { 1 });
        await follower.AppendReplicatedAsync(builder.Build().ToArray());
        Assert.Equal(6, follower.LatestEpoch);
        Assert.Equal(new EpochEndOffset(6, 13), follower.EndOffsetForEpoch(6));
    }

    [Fact]
    public async Task Truncation_drops_the_epochs_at_or_past_the_new_end_and_the_file_follows()
    {
        using var fixture = new LogFixture();
        await using (PartitionLog log = fixture.Open())
        {
            for (int epoch = 0; epoch < 4; epoch++)
            {
                await log.AppendAsync(Batch(3), partitionLeaderEpoch: epoch); // epoch e at 3e..3e+2
            }

            Assert.Equal(6, await log.TruncateToAsync(6));
            Assert.Equal(Entries((0, 0), (1, 3)), log.LeaderEpochEntries);
            Assert.Equal(1, log.LatestEpoch);
            Assert.Equal(new EpochEndOffset(1, 6), log.EndOffsetForEpoch(3));
            Assert.Equal(log.LeaderEpochEntries, LeaderEpochCache.TryRead(fixture.Directory));

            await log.AppendAsync(Batch(3), partitionLeaderEpoch: 5); // the new leader's data at the cut
            Assert.Equal(Entries((0, 0), (1, 3), (5, 6)), log.LeaderEpochEntries);
        }

        await using PartitionLog reopened = fixture.Open();
        Assert.Equal(Entries((0, 0), (1, 3), (5, 6)), reopened.LeaderEpochEntries);
        Assert.Equal(new EpochEndOffset(1, 6), reopened.EndOffsetForEpoch(4));
    }

    [Fact]
    public async Task Entries_survive_a_clean_reopen_and_a_deleted_file_is_rebuilt_from_every_segment()
    {
        using LogFixture fixture = await ClosedLogInFourEpochsAsync();
        await using (PartitionLog reopened = fixture.Open(SmallSegments))
        {
            Assert.Equal(FourEpochs, reopened.LeaderEpochEntries);
            Assert.Equal(new EpochEndOffset(2, 60), reopened.EndOffsetForEpoch(2));
        }

        File.Delete(FilePath(fixture.Directory));
        await using PartitionLog rebuilt = fixture.Open(SmallSegments);
        Assert.Equal(FourEpochs, rebuilt.LeaderEpochEntries);
        Assert.Equal(3, rebuilt.LatestEpoch);
        Assert.Equal(FourEpochs, LeaderEpochCache.TryRead(fixture.Directory)); // written back
    }

    [Theory]
    [InlineData(0)]  // version
    [InlineData(5)]  // count
    [InlineData(9)]  // an epoch
    [InlineData(20)] // a start offset
    [InlineData(-1)] // the CRC
    public async Task A_damaged_file_is_rebuilt_from_the_batch_headers(int damagedByte)
    {
        using LogFixture fixture = await ClosedLogInFourEpochsAsync();
        string path = FilePath(fixture.Directory);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[damagedByte < 0 ? bytes.Length + damagedByte : damagedByte] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        Assert.Null(LeaderEpochCache.TryRead(fixture.Directory));

        await using PartitionLog reopened = fixture.Open(SmallSegments);
        Assert.Equal(FourEpochs, reopened.LeaderEpochEntries);
        Assert.Equal(FourEpochs, LeaderEpochCache.TryRead(fixture.Directory));
    }

    [Fact]
    public async Task A_file_ahead_of_a_torn_tail_is_trimmed_to_what_recovery_kept()
    {
        using var fixture = new LogFixture();
        string crashed = fixture.Directory + "-crashed";
        long tornBatchPosition;
        await using (PartitionLog log = fixture.Open())
        {
            await log.AppendAsync(Batch(3), partitionLeaderEpoch: 1);
            tornBatchPosition = log.SizeInBytes;
            await log.AppendAsync(Batch(3), partitionLeaderEpoch: 2);

            // As a crash would leave it: no clean shutdown, and the second batch's bytes lost after the file recorded epoch 2.
            Directory.CreateDirectory(crashed);
            foreach (string file in Directory.GetFiles(fixture.Directory))
            {
                File.Copy(file, Path.Combine(crashed, Path.GetFileName(file)));
            }
        }

        using (var segment = new FileStream(Path.Combine(crashed, "00000000000000000000.log"), FileMode.Open))
        {
            segment.SetLength(tornBatchPosition + 20);
        }

        Assert.Equal(Entries((1, 0), (2, 3)), LeaderEpochCache.TryRead(crashed));
        await using PartitionLog recovered = PartitionLog.Open(crashed, new LogConfig(), new PartitionLogOptions { Time = fixture.Clock });
        Assert.Equal(3, recovered.LogEndOffset);
        Assert.Equal(Entries((1, 0)), recovered.LeaderEpochEntries);
        Assert.Equal(new EpochEndOffset(1, 3), recovered.EndOffsetForEpoch(2));
        Assert.Equal(Entries((1, 0)), LeaderEpochCache.TryRead(crashed));
    }

    [Fact]
    public async Task Retention_moves_the_first_epochs_start_up_to_the_log_start()
    {
        using LogFixture fixture = await ClosedLogInFourEpochsAsync();
        await using (PartitionLog log = fixture.Open(SmallSegments))
        {
            log.UpdateConfig(SmallSegments with { RetentionBytes = NewestSegmentsSize(log, 13) });
            Assert.Equal(7, await log.DeleteExpiredSegmentsAsync());
            Assert.Equal(28, log.LogStartOffset);
            Assert.Equal(Entries((1, 28), (2, 40), (3, 60)), log.LeaderEpochEntries);
            Assert.Equal(new EpochEndOffset(-1, -1), log.EndOffsetForEpoch(0));
            Assert.Equal(new EpochEndOffset(1, 40), log.EndOffsetForEpoch(1));

            log.UpdateConfig(SmallSegments with { RetentionBytes = NewestSegmentsSize(log, 10) }); // the start lands on epoch 2's first offset
            Assert.Equal(3, await log.DeleteExpiredSegmentsAsync());
            Assert.Equal(40, log.LogStartOffset);
            Assert.Equal(Entries((2, 40), (3, 60)), log.LeaderEpochEntries);
        }

        await using PartitionLog reopened = fixture.Open(SmallSegments);
        Assert.Equal(Entries((2, 40), (3, 60)), reopened.LeaderEpochEntries);
        Assert.Equal(new EpochEndOffset(3, 80), reopened.EndOffsetForEpoch(9));
    }

    /// <summary>retention.bytes that keeps exactly the newest <paramref name="count"/> segments.</summary>
    private static long NewestSegmentsSize(PartitionLog log, int count)
    {
        long size = 0;
        for (int i = log.Segments.Count - count; i < log.Segments.Count; i++)
        {
            size += log.Segments[i].SizeInBytes;
        }

        return size;
    }

    [Fact]
    public async Task A_new_epoch_costs_a_file_write_and_a_steady_one_does_not()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        string path = FilePath(fixture.Directory);
        Assert.False(File.Exists(path)); // an empty new log has nothing to record

        await log.AppendAsync(Batch(1), partitionLeaderEpoch: 1);
        var marker = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, marker); // a rewrite (temp file, rename) would bring a new time
        byte[] before = File.ReadAllBytes(path);

        for (int i = 0; i < 100; i++)
        {
            await log.AppendAsync(Batch(1), partitionLeaderEpoch: 1);
        }

        await log.AppendAsync(Batch(1, epoch: 1));  // the same epoch, carried by the batch
        await log.AppendAsync(Batch(1, epoch: 0));  // an older one
        await log.AppendAsync(Batch(1));            // none
        Assert.Equal(marker, File.GetLastWriteTimeUtc(path));
        Assert.Equal(before, File.ReadAllBytes(path));

        await log.AppendAsync(Batch(1), partitionLeaderEpoch: 2);
        Assert.NotEqual(marker, File.GetLastWriteTimeUtc(path));
        Assert.Equal(Entries((1, 0), (2, 104)), LeaderEpochCache.TryRead(fixture.Directory));
    }

    [Fact]
    public async Task Reads_beside_appends_always_get_a_consistent_answer()
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open(new LogConfig { SegmentBytes = 4096 });
        const int AppendsPerEpoch = 50;
        const int Epochs = 20;
        using var done = new CancellationTokenSource();

        // One record per append: epoch k starts at offset 50k and ends at 50(k+1), or at the log end while newest.
        await log.AppendAsync(Batch(1), partitionLeaderEpoch: 0); // from here on every epoch >= 0 has an answer
        Task<int>[] readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            int answered = 0;
            while (!done.IsCancellationRequested)
            {
                int asked = random.Next(-1, Epochs + 2);
                EpochEndOffset answer = log.EndOffsetForEpoch(asked);
                if (answer.Epoch < 0)
                {
                    Assert.Equal(new EpochEndOffset(-1, -1), answer);
                    Assert.True(asked < 0, $"epoch {asked} unanswered");
                    continue;
                }

                Assert.InRange(answer.Epoch, 0, asked);
                Assert.InRange(answer.EndOffset, (long)answer.Epoch * AppendsPerEpoch, (answer.Epoch + 1L) * AppendsPerEpoch);
                Assert.True(answer.EndOffset <= log.LogEndOffset);
                answered++;
            }

            return answered;
        })).ToArray();

        for (int i = 1; i < AppendsPerEpoch * Epochs; i++)
        {
            await log.AppendAsync(Batch(1), partitionLeaderEpoch: i / AppendsPerEpoch);
        }

        await done.CancelAsync();
        int[] answered = await Task.WhenAll(readers);
        Assert.All(answered, count => Assert.True(count > 0));
        Assert.Equal(Epochs - 1, log.LatestEpoch);
        Assert.Equal(new EpochEndOffset(Epochs - 1, AppendsPerEpoch * Epochs), log.EndOffsetForEpoch(Epochs + 5));
    }
}
