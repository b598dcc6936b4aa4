using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Orleans.Stream.Benchmarks;

// dotnet run -c Release --project bench/Orleans.Stream.Benchmarks -- --filter '*'
// Each operation writes or reads 64 MiB, so a short job is enough for stable numbers.
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(8))
    .AddColumn(ThroughputColumn.MegabytesPerSecond, ThroughputColumn.BatchesPerSecond, ThroughputColumn.AllocatedPerBatch);
BenchmarkSwitcher.FromAssembly(typeof(AppendBenchmarks).Assembly).Run(args, config);
