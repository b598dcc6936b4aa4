using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Logs;

/// <summary>
/// <c>partition.metadata</c> in each partition directory: which topic (by name and id) the log belongs to and the
/// topic configs it runs with, so a broker reopens every log with the right retention before any grain asks for it,
/// and a log left behind by a deleted topic of the same name is recognised as such.
/// </summary>
internal sealed record PartitionMetadataFile(string Topic, int Partition, Guid TopicId, Dictionary<string, string> Configs)
{
    public const string FileName = "partition.metadata";

    public static PartitionMetadataFile? TryRead(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        return JsonSerializer.Deserialize(File.ReadAllBytes(path), PartitionMetadataJson.Default.PartitionMetadataFile)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    /// <summary>Writes the file durably (temp file, fsync, rename, directory fsync).</summary>
    public void Write(string directory) =>
        DurableFile.WriteAtomically(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, PartitionMetadataJson.Default.PartitionMetadataFile));
}

[JsonSerializable(typeof(PartitionMetadataFile))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class PartitionMetadataJson : JsonSerializerContext;
