using System.Globalization;

namespace Orleans.Stream.Storage.Log;

/// <summary>File names of a segment: <c>{baseOffset:D20}.log</c>, <c>.index</c>, <c>.timeindex</c>.</summary>
internal static class SegmentFiles
{
    public const string LogExtension = ".log";
    public const string IndexExtension = ".index";
    public const string TimeIndexExtension = ".timeindex";
    public const string ProducerSnapshotExtension = ".snapshot";

    public static string LogPath(string directory, long baseOffset) => Path.Combine(directory, Name(baseOffset) + LogExtension);

    public static string IndexPath(string directory, long baseOffset) => Path.Combine(directory, Name(baseOffset) + IndexExtension);

    public static string TimeIndexPath(string directory, long baseOffset) => Path.Combine(directory, Name(baseOffset) + TimeIndexExtension);

    public static string ProducerSnapshotPath(string directory, long offset) => Path.Combine(directory, Name(offset) + ProducerSnapshotExtension);

    public static string Name(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    /// <summary>The base offset a segment file name encodes, or false for files that are not segment files.</summary>
    public static bool TryParseBaseOffset(string fileName, string extension, out long baseOffset)
    {
        baseOffset = -1;
        return fileName.EndsWith(extension, StringComparison.Ordinal)
            && fileName.Length == 20 + extension.Length
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }
}
