using BenchmarkDotNet.Attributes;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// Appending whole batches to a <see cref="PartitionLog"/>. One operation appends 64 MiB of BatchBytes-sized
/// batches into a fresh log, split over 1 or 8 concurrent appenders; the MB/s, batches/s and per-batch allocation
/// columns divide by that.
/// </summary>
[MemoryDiagnoser]
public class AppendBenchmarks
{
    private PartitionLog _log = null!;
    private byte[][] _batches = null!;
    private string? _directory;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [Params(FlushPolicy.Replicated, FlushPolicy.GroupCommit)]
    public FlushPolicy Policy { get; set; }

    [Params(1, 8)]
    public int Appenders { get; set; }

    private int BatchesPerAppender => (int)(BenchmarkData.BytesPerOperationSet / BatchBytes / Appenders);

    [GlobalSetup]
    public void BuildBatches()
    {
        // Each appender owns its batch: the log stamps the base offset into it in place.
        _batches = new byte[Appenders][];
        for (int a = 0; a < Appenders; a++)
        {
            _batches[a] = BenchmarkData.Batch(BatchBytes, a);
        }
    }

    [IterationSetup]
    public void OpenFreshLog()
    {
        _directory = BenchmarkData.FreshDirectory("append");
        _log = PartitionLog.Open(_directory, new LogConfig { FlushPolicy = Policy, MaxMessageBytes = 2 * 1024 * 1024 });
    }

    [IterationCleanup]
    public void DeleteLog()
    {
        _log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        BenchmarkData.Delete(_directory);
    }

    [Benchmark]
    public Task Append() => Appenders == 1 ? AppendLoop(0) : AppendConcurrently();

    private async Task AppendConcurrently()
    {
        var tasks = new Task[Appenders];
        for (int a = 0; a < Appenders; a++)
        {
            int appender = a;
            tasks[a] = Task.Run(() => AppendLoop(appender));
        }

        await Task.WhenAll(tasks);
    }

    private async Task AppendLoop(int appender)
    {
        byte[] batch = _batches[appender];
        for (int i = 0; i < BatchesPerAppender; i++)
        {
            await _log.AppendAsync(batch);
        }
    }
}
