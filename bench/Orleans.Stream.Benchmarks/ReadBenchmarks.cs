using BenchmarkDotNet.Attributes;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// Sequential consumption from the page cache: one operation reads the whole 64 MiB log from offset 0 in
/// ReadBytes-sized fetches (each batch CRC-checked on the way out), as a consumer catching up would.
/// </summary>
[MemoryDiagnoser]
public class ReadBenchmarks
{
    private PartitionLog _log = null!;
    private string? _directory;

    [Params(1024 * 1024)]
    public int ReadBytes { get; set; }

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void WriteLog()
    {
        _directory = BenchmarkData.FreshDirectory("read");
        var config = new LogConfig { FlushPolicy = FlushPolicy.Replicated, MaxMessageBytes = 2 * 1024 * 1024, SegmentBytes = 16 * 1024 * 1024 };
        _log = PartitionLog.Open(_directory, config);
        byte[] batch = BenchmarkData.Batch(BatchBytes, 1);
        for (long written = 0; written < BenchmarkData.BytesPerOperationSet; written += batch.Length)
        {
            _log.AppendAsync(batch).AsTask().GetAwaiter().GetResult();
        }

        Scan(); // warm the page cache
    }

    [GlobalCleanup]
    public void DeleteLog()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        BenchmarkData.Delete(_directory);
    }

    [Benchmark]
    public long Scan()
    {
        long offset = 0;
        long bytes = 0;
        while (true)
        {
            using LogReadResult read = _log.Read(offset, ReadBytes);
            if (read.IsEmpty)
            {
                return bytes;
            }

            bytes += read.Batches.Length;
            offset = read.NextOffset;
        }
    }
}
