using System.Globalization;

namespace Orleans.Stream.Broker.Replication;

/// <summary>The replica grain's key, <c>topic/partition/brokerId</c>: which partition, and on which broker.</summary>
internal readonly record struct ReplicaKey(TopicPartition TopicPartition, int BrokerId)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TopicPartition}/{BrokerId}");

    public static ReplicaKey Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int slash = key.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int brokerId))
        {
            throw new FormatException($"'{key}' is not a replica key of the form topic/partition/brokerId.");
        }

        return new ReplicaKey(TopicPartition.Parse(key[..slash]), brokerId);
    }
}
