using Microsoft.Extensions.Time.Testing;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>
/// <see cref="PartitionLogOptions.PageCacheTailBytes"/>: after each group commit, flushed bytes more than the tail
/// behind the segment's end leave the page cache; the tail stays; everything still reads back, byte for byte, from disk.
/// </summary>
public sealed class PageCacheTests
{
    private const int Tail = 64 * 1024;

    [Fact]
    public async Task Flushed_bytes_behind_the_tail_leave_the_page_cache_and_still_read_back_from_disk()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // posix_fadvise and mincore are Linux's; elsewhere the option does nothing
        }

        using var temp = new TempDirectory();
        (List<TestRecord> expected, string segment, long size) = await AppendAsync(temp.Sub("topic-0"), Tail);
        long behind = (size - Tail) / PageResidency.PageSize * PageResidency.PageSize;
        long tailStart = (size - Tail + PageResidency.PageSize - 1) / PageResidency.PageSize * PageResidency.PageSize;
        long tailEnd = size / PageResidency.PageSize * PageResidency.PageSize;

        Assert.True(behind >= 40 * PageResidency.PageSize, $"only {behind} bytes behind the tail");
        Assert.Equal(0, PageResidency.CachedPages(segment, 0, behind));
        int tailPages = (int)((tailEnd - tailStart) / PageResidency.PageSize);
        Assert.Equal(tailPages, PageResidency.CachedPages(segment, tailStart, tailEnd));

        await using PartitionLog reopened = Open(temp.Sub("topic-0"), Tail);
        AssertSameRecords(expected, Batches.ReadAll(reopened, 0));
    }

    [Fact]
    public async Task Bytes_written_again_after_a_truncation_leave_the_page_cache_too()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var temp = new TempDirectory();
        string directory = temp.Sub("topic-0");
        await using (PartitionLog log = Open(directory, Tail))
        {
            // One log instance throughout: the first appends' pages are dropped, then the same bytes are written anew.
            for (int round = 0; round < 2; round++)
            {
                for (int b = 0; b < 64; b++)
                {
                    await log.AppendAsync(Batches.Deterministic((100 * round) + b, 4, valueSize: 1000, Batches.T0));
                }

                if (round == 0)
                {
                    await log.TruncateToAsync(8); // two batches stay; the second round writes over the rest
                }
            }
        }

        string segment = SegmentPath(directory);
        long behind = (new FileInfo(segment).Length - Tail) / PageResidency.PageSize * PageResidency.PageSize;
        Assert.True(behind > 0, $"the records written again went elsewhere: {string.Join(", ", Directory.GetFiles(directory))}");
        Assert.Equal(0, PageResidency.CachedPages(segment, 0, behind));
    }

    [Fact]
    public async Task With_no_tail_set_the_log_leaves_its_pages_to_the_kernel()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var temp = new TempDirectory();
        (_, string segment, long size) = await AppendAsync(temp.Sub("topic-0"), pageCacheTailBytes: -1);
        long whole = size / PageResidency.PageSize * PageResidency.PageSize;
        Assert.Equal((int)(whole / PageResidency.PageSize), PageResidency.CachedPages(segment, 0, whole));
    }

    /// <summary>64 group-committed appends of 4 records of 1 KB (about 270 KB in one segment); the log is closed after.</summary>
    private static async Task<(List<TestRecord> Expected, string Segment, long Size)> AppendAsync(string directory, long pageCacheTailBytes)
    {
        var expected = new List<TestRecord>();
        await using (PartitionLog log = Open(directory, pageCacheTailBytes))
        {
            for (int b = 0; b < 64; b++)
            {
                AppendResult appended = await log.AppendAsync(Batches.Deterministic(b, 4, valueSize: 1000, Batches.T0));
                for (int i = 0; i < 4; i++)
                {
                    expected.Add(Batches.DeterministicRecord(b, i, 1000, Batches.T0) with { Offset = appended.FirstOffset + i });
                }
            }
        }

        string segment = SegmentPath(directory);
        return (expected, segment, new FileInfo(segment).Length);
    }

    // The log's clock at the records' time: segment.ms must not roll a new segment between the appends.
    private static PartitionLog Open(string directory, long pageCacheTailBytes) => PartitionLog.Open(
        directory,
        new LogConfig { FlushPolicy = FlushPolicy.GroupCommit },
        new PartitionLogOptions { PageCacheTailBytes = pageCacheTailBytes, Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.T0)) });

    private static string SegmentPath(string directory) => Orleans.Stream.Storage.Log.SegmentFiles.LogPath(directory, 0);

    private static void AssertSameRecords(List<TestRecord> expected, List<TestRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Offset, actual[i].Offset);
            Assert.True(expected[i].SameContentAs(actual[i]), $"offset {expected[i].Offset} differs");
        }
    }
}
