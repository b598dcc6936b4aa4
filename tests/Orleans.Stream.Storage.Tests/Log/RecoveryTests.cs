using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

public sealed class RecoveryTests
{
    /// <summary>Copies a live log's directory, as a crash would leave it (no clean shutdown).</summary>
    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static async Task<(string CrashedCopy, long[] BatchEnds, long[] BatchPositions)> CrashAfterBatches(TempDirectory temp, int batches, int valueSize = 60)
    {
        string live = temp.Sub("live");
        string crashed = temp.Sub("crashed");
        var ends = new long[batches];
        var positions = new long[batches];
        await using (PartitionLog log = PartitionLog.Open(live))
        {
            for (int b = 0; b < batches; b++)
            {
                positions[b] = log.SizeInBytes;
                ends[b] = (await log.AppendAsync(Batches.Deterministic(b, 3, valueSize, Batches.T0))).LastOffset + 1;
            }

            CopyDirectory(live, crashed);
        }

        return (crashed, ends, positions);
    }

    [Fact]
    public async Task A_write_torn_at_any_byte_of_the_last_batch_loses_only_that_batch()
    {
        using var temp = new TempDirectory();
        (string crashed, long[] ends, long[] positions) = await CrashAfterBatches(temp, batches: 3);
        string segment = Path.Combine(crashed, "00000000000000000000.log");
        long fileLength = new FileInfo(segment).Length;
        Assert.True(fileLength - positions[2] > 61);

        for (long cut = positions[2]; cut < fileLength; cut++)
        {
            string work = temp.Sub($"cut-{cut}");
            CopyDirectory(crashed, work);
            using (var stream = new FileStream(Path.Combine(work, "00000000000000000000.log"), FileMode.Open))
            {
                stream.SetLength(cut);
            }

            await using (PartitionLog log = PartitionLog.Open(work))
            {
                Assert.Equal(ends[1], log.LogEndOffset);
                List<TestRecord> records = Batches.ReadAll(log);
                Assert.Equal(6, records.Count);
                Assert.True(Batches.DeterministicRecord(1, 2, 60, Batches.T0).SameContentAs(records[5]));

                AppendResult next = await log.AppendAsync(Batches.Deterministic(9, 2, 60, Batches.T0));
                Assert.Equal(ends[1], next.FirstOffset);
            }

            await using (PartitionLog reopened = PartitionLog.Open(work))
            {
                Assert.Equal(ends[1] + 2, reopened.LogEndOffset);
                Assert.Equal(8, Batches.ReadAll(reopened).Count);
            }

            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Zeros_or_a_flipped_bit_in_the_unflushed_tail_are_cut_at_the_first_bad_batch()
    {
        using var temp = new TempDirectory();
        (string crashed, long[] ends, long[] positions) = await CrashAfterBatches(temp, batches: 4);
        string segment = Path.Combine(crashed, "00000000000000000000.log");

        string zeros = temp.Sub("zeros");
        CopyDirectory(crashed, zeros);
        using (var stream = new FileStream(Path.Combine(zeros, Path.GetFileName(segment)), FileMode.Append))
        {
            stream.Write(new byte[4096]);
        }

        await using (PartitionLog log = PartitionLog.Open(zeros))
        {
            Assert.Equal(ends[3], log.LogEndOffset);
            Assert.Equal(positions[3] + (new FileInfo(segment).Length - positions[3]), log.SizeInBytes);
        }

        string flipped = temp.Sub("flipped");
        CopyDirectory(crashed, flipped);
        string flippedSegment = Path.Combine(flipped, Path.GetFileName(segment));
        byte[] bytes = File.ReadAllBytes(flippedSegment);
        bytes[positions[2] + 80] ^= 0x40; // inside batch 2's records
        File.WriteAllBytes(flippedSegment, bytes);
        await using (PartitionLog log = PartitionLog.Open(flipped))
        {
            Assert.Equal(ends[1], log.LogEndOffset);
            Assert.Equal(positions[2], new FileInfo(flippedSegment).Length);
            Assert.Equal(6, Batches.ReadAll(log).Count);
        }
    }

    [Fact]
    public async Task A_torn_segment_in_the_middle_of_the_recovery_range_drops_every_later_segment()
    {
        using var temp = new TempDirectory();
        string live = temp.Sub("live");
        string crashed = temp.Sub("crashed");
        var config = new LogConfig { SegmentBytes = 1024 };
        await using (PartitionLog log = PartitionLog.Open(live, config, new PartitionLogOptions { CheckpointInterval = TimeSpan.FromHours(1) }))
        {
            for (int b = 0; b < 6; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 4, 100, Batches.T0)); // one batch per segment
            }

            CopyDirectory(live, crashed);
        }

        // The checkpoint copied above was written at open, when the log was empty: every segment is rescanned.
        string third = Path.Combine(crashed, "00000000000000000008.log");
        using (var stream = new FileStream(third, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }

        await using PartitionLog recovered = PartitionLog.Open(crashed, config);
        Assert.Equal(8, recovered.LogEndOffset);
        Assert.False(File.Exists(Path.Combine(crashed, "00000000000000000012.log")));
        Assert.Equal(8, Batches.ReadAll(recovered).Count);
    }

    [Fact]
    public async Task A_corrupt_byte_in_a_sealed_segment_is_reported_on_read_and_never_served()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 4096 };
        long corruptBatchBase;
        await using (PartitionLog log = fixture.Open(config))
        {
            for (int b = 0; b < 20; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 3, 200, Batches.T0));
            }

            corruptBatchBase = 9; // batch 3 of the first segment (offsets 9..11)
        }

        string first = fixture.SegmentPath(0);
        byte[] bytes = File.ReadAllBytes(first);
        long position = 0;
        for (int b = 0; b < 3; b++)
        {
            position += RecordBatchHeader.Read(bytes.AsSpan((int)position)).TotalSize;
        }

        bytes[position + 300] ^= 0x01; // a bit in batch 3's values
        File.WriteAllBytes(first, bytes);

        await using PartitionLog reopened = fixture.Open(config);
        Assert.Equal(60, reopened.LogEndOffset); // sealed data below the checkpoint is not rescanned at open

        using (LogReadResult prefix = reopened.Read(0, 1 << 20))
        {
            Assert.Equal(corruptBatchBase, prefix.NextOffset);
            Assert.Equal(9, Batches.Decode(prefix.Batches.Span).Count);
        }

        var error = Assert.Throws<CorruptRecordException>(() => reopened.Read(10, 1 << 20));
        Assert.Contains("00000000000000000000.log", error.Message);
        Assert.Contains("CRC", error.Message);

        // Other segments are unaffected.
        long secondSegment = reopened.Segments[1].BaseOffset;
        Assert.Equal(60 - secondSegment, Batches.ReadAll(reopened, secondSegment).Count);
    }

    [Fact]
    public async Task Missing_or_damaged_indexes_are_rebuilt_and_lookups_still_work()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 4096, IndexIntervalBytes = 512 };
        await using (PartitionLog log = fixture.Open(config))
        {
            for (int b = 0; b < 40; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 3, 100, Batches.T0 + (b * 100)));
            }
        }

        long[] bases = Directory.GetFiles(fixture.Directory, "*.log").Select(p => long.Parse(Path.GetFileNameWithoutExtension(p))).Order().ToArray();
        Assert.True(bases.Length >= 4);
        File.Delete(fixture.SegmentPath(bases[0], ".index"));
        File.Delete(fixture.SegmentPath(bases[0], ".timeindex"));
        File.WriteAllBytes(fixture.SegmentPath(bases[1], ".index"), new byte[7]);          // not whole entries
        byte[] backwards = new byte[16];
        backwards[3] = 9; // entry (9, 0) then (0, 0): offsets going backwards
        File.WriteAllBytes(fixture.SegmentPath(bases[2], ".index"), backwards);
        File.WriteAllBytes(fixture.SegmentPath(bases[2], ".timeindex"), new byte[5]);

        await using PartitionLog reopened = fixture.Open(config);
        List<TestRecord> records = Batches.ReadAll(reopened, 0, ReadBound.LogEnd, maxBytes: 300);
        Assert.Equal(Enumerable.Range(0, 120).Select(i => (long)i), records.Select(r => r.Offset));
        for (int b = 0; b < 40; b += 7)
        {
            Assert.Equal(new TimestampOffset(Batches.T0 + (b * 100), b * 3), reopened.FindOffsetByTimestamp(Batches.T0 + (b * 100)));
        }

        Assert.True(File.Exists(fixture.SegmentPath(bases[0], ".index")));
        Assert.Equal(0, new FileInfo(fixture.SegmentPath(bases[1], ".index")).Length % 8);
    }

    [Fact]
    public async Task A_missing_checkpoint_means_a_full_rescan_and_nothing_is_lost()
    {
        using var fixture = new LogFixture();
        var config = new LogConfig { SegmentBytes = 2048 };
        await using (PartitionLog log = fixture.Open(config))
        {
            for (int b = 0; b < 25; b++)
            {
                await log.AppendAsync(Batches.Deterministic(b, 2, 150, Batches.T0));
            }
        }

        File.Delete(Path.Combine(fixture.Directory, "recovery.checkpoint"));
        await using PartitionLog reopened = fixture.Open(config);
        Assert.Equal(50, reopened.LogEndOffset);
        Assert.Equal(50, Batches.ReadAll(reopened).Count);
    }
}
