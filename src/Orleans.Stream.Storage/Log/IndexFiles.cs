namespace Orleans.Stream.Storage.Log;

/// <summary>Whole-file reads and writes for index files, which are small and rewritten whole when a segment is sealed.</summary>
internal static class IndexFiles
{
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        RandomAccess.Write(handle, bytes, 0);
    }

    public static void Fsync(string path)
    {
        if (File.Exists(path))
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
    }

    /// <summary>The file's bytes, or null if it is missing or its length is not a whole number of entries.</summary>
    public static byte[]? TryRead(string path, int entrySize)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes = File.ReadAllBytes(path);
        return bytes.Length % entrySize == 0 ? bytes : null;
    }
}
