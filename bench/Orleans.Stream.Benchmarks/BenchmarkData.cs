namespace Orleans.Stream.Benchmarks;

/// <summary>The bytes every append benchmark writes: batches of 1 KiB-value records, built once.</summary>
internal static class BenchmarkData
{
    public const int ValueSize = 1024;
    public const long BytesPerOperationSet = 64L * 1024 * 1024;

    /// <summary>One batch of 1 KiB-value records, about <paramref name="targetBytes"/> long.</summary>
    public static byte[] Batch(int targetBytes, int seed)
    {
        var random = new Random(seed);
        var value = new byte[ValueSize];
        using var builder = new Storage.RecordBatchBuilder(targetBytes + 4096);
        int index = 0;
        while (builder.SizeInBytes + ValueSize + 32 <= targetBytes)
        {
            random.NextBytes(value);
            builder.Append(1_700_000_000_000 + index, BitConverter.GetBytes(index), value);
            index++;
        }

        return builder.Build().ToArray();
    }

    public static string FreshDirectory(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "ostream-bench", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string? path)
    {
        if (path is not null && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
