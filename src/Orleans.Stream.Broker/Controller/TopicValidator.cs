using System.Globalization;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// Checks a create-topic request the way Kafka's controller does, and turns each problem into the Kafka error
/// code and a message that names the field and the value at fault.
/// </summary>
internal static class TopicValidator
{
    /// <summary>Partitions per topic we accept; far above what a 3-broker cluster should carry, well below what breaks it.</summary>
    public const int MaxPartitions = 10_000;

    private static readonly HashSet<string> KnownConfigs = new(TopicConfigNames.All, StringComparer.Ordinal);

    /// <summary>
    /// Returns the normalized configs (only the keys given), or throws <see cref="OrleansStreamException"/>.
    /// <c>remote.storage.enable=true</c> needs <paramref name="remoteTier"/>: brokers with a remote tier.
    /// </summary>
    public static Dictionary<string, string> Validate(CreateTopicRequest request, int liveBrokers, bool remoteTier)
    {
        TopicName.EnsureValid(request.Name);
        if (request.Partitions < 1 || request.Partitions > MaxPartitions)
        {
            throw new OrleansStreamException(ErrorCode.InvalidPartitions,
                $"Topic '{request.Name}': partitions must be between 1 and {MaxPartitions}; got {request.Partitions}.");
        }

        if (request.ReplicationFactor < 1)
        {
            throw new OrleansStreamException(ErrorCode.InvalidReplicationFactor,
                $"Topic '{request.Name}': replication factor must be at least 1; got {request.ReplicationFactor}.");
        }

        if (request.ReplicationFactor > liveBrokers)
        {
            throw new OrleansStreamException(ErrorCode.InvalidReplicationFactor,
                $"Topic '{request.Name}': replication factor {request.ReplicationFactor} is larger than the {liveBrokers} live broker(s).");
        }

        var configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in request.Configs ?? [])
        {
            if (!KnownConfigs.Contains(key))
            {
                throw new OrleansStreamException(ErrorCode.InvalidConfig,
                    $"Topic '{request.Name}': unknown config '{key}'. Known: {string.Join(", ", TopicConfigNames.All)}.");
            }

            configs[key] = value;
        }

        try
        {
            LogConfig.FromProperties(configs);
        }
        catch (ArgumentException error)
        {
            throw new OrleansStreamException(ErrorCode.InvalidConfig, $"Topic '{request.Name}': {error.Message}");
        }

        CheckTopicLevelConfigs(request, configs, remoteTier);
        return configs;
    }

    private static void CheckTopicLevelConfigs(CreateTopicRequest request, Dictionary<string, string> configs, bool remoteTier)
    {
        if (configs.TryGetValue(TopicConfigNames.MinInsyncReplicas, out string? minIsr))
        {
            if (!int.TryParse(minIsr, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1 || value > request.ReplicationFactor)
            {
                throw Invalid(request, TopicConfigNames.MinInsyncReplicas, minIsr, $"an integer from 1 to the replication factor ({request.ReplicationFactor})");
            }
        }

        if (configs.TryGetValue(TopicConfigNames.UncleanLeaderElectionEnable, out string? unclean) && unclean is not ("true" or "false"))
        {
            throw Invalid(request, TopicConfigNames.UncleanLeaderElectionEnable, unclean, "'true' or 'false'");
        }

        if (configs.TryGetValue(TopicConfigNames.CleanupPolicy, out string? cleanup) && cleanup != "delete")
        {
            throw Invalid(request, TopicConfigNames.CleanupPolicy, cleanup, "'delete' (log compaction is not supported)");
        }

        if (configs.TryGetValue(TopicConfigNames.RemoteStorageEnable, out string? remote) && remote == "true" && !remoteTier)
        {
            throw Invalid(request, TopicConfigNames.RemoteStorageEnable, remote, "'false': this cluster's brokers have no remote tier (blob store) configured");
        }
    }

    private static OrleansStreamException Invalid(CreateTopicRequest request, string key, string value, string expected) =>
        new(ErrorCode.InvalidConfig, $"Topic '{request.Name}': {key}='{value}' is invalid; expected {expected}.");
}
