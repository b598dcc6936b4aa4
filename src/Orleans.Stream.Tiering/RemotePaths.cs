using System.Globalization;
using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Tiering;

/// <summary>
/// Blob names in the tier's container: <c>{topic}/{partition}/</c> followed by the segment's local file name
/// (<c>{baseOffset:D20}.log|.index|.timeindex</c>, as <see cref="SegmentFiles"/> names them), and the manifest.
/// </summary>
internal static class RemotePaths
{
    public static readonly string[] SegmentExtensions = [SegmentFiles.LogExtension, SegmentFiles.IndexExtension, SegmentFiles.TimeIndexExtension];

    public static string PartitionPrefix(TopicPartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{partition.Topic}/{partition.Partition}/");

    public static string Manifest(TopicPartition partition) => PartitionPrefix(partition) + "manifest.json";

    public static string Segment(TopicPartition partition, long baseOffset, string extension) =>
        PartitionPrefix(partition) + SegmentFiles.Name(baseOffset) + extension;

    /// <summary>The base offset of a segment blob name under <paramref name="prefix"/>, if it is one.</summary>
    public static bool TryParseSegment(string name, string prefix, out long baseOffset)
    {
        baseOffset = -1;
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string file = name[prefix.Length..];
        foreach (string extension in SegmentExtensions)
        {
            if (SegmentFiles.TryParseBaseOffset(file, extension, out baseOffset))
            {
                return true;
            }
        }

        return false;
    }
}
