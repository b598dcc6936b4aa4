using System.Globalization;

namespace Orleans.Stream.Broker.Replication;

/// <summary>The topic configs that govern replication (Kafka's names and defaults), read from a topic's config map.</summary>
internal readonly record struct ReplicationConfig(int MinInsyncReplicas, bool UncleanLeaderElection)
{
    /// <summary>Reads the configs, which the controller validated when the topic was created.</summary>
    public static ReplicationConfig From(IReadOnlyDictionary<string, string> configs) => new(
        configs.TryGetValue(TopicConfigNames.MinInsyncReplicas, out string? minIsr) ? int.Parse(minIsr, NumberStyles.None, CultureInfo.InvariantCulture) : 1,
        configs.TryGetValue(TopicConfigNames.UncleanLeaderElectionEnable, out string? unclean) && unclean == "true");
}
