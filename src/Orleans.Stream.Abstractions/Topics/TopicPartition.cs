using System.Globalization;

namespace Orleans.Stream;

/// <summary>One partition of one topic. Its string form, <c>topic/partition</c>, is the partition grain's key.</summary>
[GenerateSerializer, Immutable]
public readonly record struct TopicPartition([property: Id(0)] string Topic, [property: Id(1)] int Partition)
{
    /// <summary>The grain key: <c>topic/partition</c>. Topic names cannot contain '/', so the split is unambiguous.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Topic}/{Partition}");

    /// <summary>The directory a broker keeps this partition's log in, Kafka's <c>topic-partition</c>.</summary>
    public string DirectoryName => string.Create(CultureInfo.InvariantCulture, $"{Topic}-{Partition}");

    public static TopicPartition Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int partition))
        {
            throw new FormatException($"'{key}' is not a partition key of the form topic/partition.");
        }

        return new TopicPartition(key[..slash], partition);
    }
}
