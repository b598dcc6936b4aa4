namespace Orleans.Stream.Storage;

/// <summary>Small files that must survive a crash whole or not at all.</summary>
public static class DurableFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="bytes"/> so that after a crash it holds either the old or
    /// the new contents: writes a temp file, fsyncs it, renames it over the old one and fsyncs the directory.
    /// </summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = path + ".tmp";
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temp, path, overwrite: true);
        Log.DirectorySync.Fsync(directory);
    }

    /// <summary>Creates <paramref name="directory"/> and makes its entry durable in the parent directory.</summary>
    public static void CreateDirectory(string directory)
    {
        string full = Path.GetFullPath(directory);
        bool existed = Directory.Exists(full);
        Directory.CreateDirectory(full);
        if (!existed && Path.GetDirectoryName(full) is { } parent)
        {
            Log.DirectorySync.Fsync(parent);
        }
    }
}
