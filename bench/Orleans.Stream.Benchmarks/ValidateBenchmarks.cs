using BenchmarkDotNet.Attributes;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// What an append spends before it writes: the checks every batch gets on arrival (CRC-32C over the batch, then a
/// walk over its records). One operation validates 64 MiB of BatchBytes-sized batches, so the MB/s column compares
/// directly with <see cref="AppendBenchmarks"/> and <see cref="FileStreamBaseline"/>.
/// </summary>
[MemoryDiagnoser]
public class ValidateBenchmarks
{
    private byte[] _batch = null!;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void BuildBatch() => _batch = BenchmarkData.Batch(BatchBytes, 0);

    [Benchmark]
    public long CrcOnly()
    {
        long sum = 0;
        for (long i = 0, n = BenchmarkData.BytesPerOperationSet / BatchBytes; i < n; i++)
        {
            sum += Crc32C.Compute(_batch.AsSpan(21));
        }

        return sum;
    }

    [Benchmark]
    public long Validate()
    {
        long records = 0;
        for (long i = 0, n = BenchmarkData.BytesPerOperationSet / BatchBytes; i < n; i++)
        {
            records += RecordBatchValidator.Validate(_batch, int.MaxValue, OffsetRule.AssignOnAppend).RecordCount;
        }

        return records;
    }
}
