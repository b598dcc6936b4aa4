using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// Columns derived from "one operation = 64 MiB": MB/s, batches/s and GC bytes allocated per batch
/// (the batch size comes from the BatchBytes parameter).
/// </summary>
internal sealed class ThroughputColumn(string name, Func<double, int, double, string> format) : IColumn
{
    public static readonly ThroughputColumn MegabytesPerSecond = new("MB/s", (seconds, _, _) =>
        (BenchmarkData.BytesPerOperationSet / seconds / 1e6).ToString("N0", CultureInfo.InvariantCulture));

    public static readonly ThroughputColumn BatchesPerSecond = new("Batches/s", (seconds, batchBytes, _) =>
        (BenchmarkData.BytesPerOperationSet / (double)batchBytes / seconds).ToString("N0", CultureInfo.InvariantCulture));

    public static readonly ThroughputColumn AllocatedPerBatch = new("Alloc/batch", (_, batchBytes, allocated) =>
        allocated < 0 ? "?" : (allocated / (BenchmarkData.BytesPerOperationSet / (double)batchBytes)).ToString("N1", CultureInfo.InvariantCulture) + " B");

    public string Id => nameof(ThroughputColumn) + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"{name}, with one operation = {BenchmarkData.BytesPerOperationSet >> 20} MiB";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkReport? report = summary[benchmarkCase];
        if (report?.ResultStatistics is null)
        {
            return "-";
        }

        object? batchBytes = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "BatchBytes")?.Value;
        double seconds = report.ResultStatistics.Mean / 1e9;
        double allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase) ?? -1;
        return format(seconds, batchBytes is int b ? b : 1, allocated);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
