using BenchmarkDotNet.Attributes;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// The floor to compare appends with: the same 64 MiB of batch bytes written by a plain <see cref="FileStream"/>,
/// optionally fsynced after every batch (16 KiB or 1 MiB), with nothing else (no validation, offsets or indexes).
/// </summary>
[MemoryDiagnoser]
public class FileStreamBaseline
{
    private byte[] _batch = null!;
    private string? _directory;
    private FileStream _stream = null!;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [Params(false, true)]
    public bool FsyncEveryBatch { get; set; }

    [GlobalSetup]
    public void BuildBatch() => _batch = BenchmarkData.Batch(BatchBytes, 0);

    [IterationSetup]
    public void OpenFile()
    {
        _directory = BenchmarkData.FreshDirectory("baseline");
        _stream = new FileStream(Path.Combine(_directory, "baseline.log"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    [IterationCleanup]
    public void DeleteFile()
    {
        _stream.Dispose();
        BenchmarkData.Delete(_directory);
    }

    [Benchmark]
    public void Write()
    {
        long batches = BenchmarkData.BytesPerOperationSet / BatchBytes;
        for (long i = 0; i < batches; i++)
        {
            _stream.Write(_batch);
            if (FsyncEveryBatch)
            {
                _stream.Flush(flushToDisk: true);
            }
        }
    }
}
