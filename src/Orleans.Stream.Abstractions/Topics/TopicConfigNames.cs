using Orleans.Stream.Storage;

namespace Orleans.Stream;

/// <summary>
/// Topic configuration keys, with Kafka's names and meanings. The storage engine's <c>LogConfig</c> reads the
/// log-level ones; the controller checks every key a topic is created with against <see cref="All"/>.
/// </summary>
public static class TopicConfigNames
{
    public const string RetentionMs = LogConfig.RetentionMsName;
    public const string RetentionBytes = LogConfig.RetentionBytesName;
    public const string SegmentBytes = LogConfig.SegmentBytesName;
    public const string SegmentMs = LogConfig.SegmentMsName;
    public const string MinInsyncReplicas = "min.insync.replicas";
    public const string MaxMessageBytes = LogConfig.MaxMessageBytesName;
    public const string CleanupPolicy = "cleanup.policy";
    public const string RemoteStorageEnable = LogConfig.RemoteStorageEnableName;
    public const string LocalRetentionMs = LogConfig.LocalRetentionMsName;
    public const string LocalRetentionBytes = LogConfig.LocalRetentionBytesName;
    public const string FlushPolicy = LogConfig.FlushPolicyName;
    public const string FlushMs = LogConfig.FlushMsName;
    public const string IndexIntervalBytes = LogConfig.IndexIntervalBytesName;
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";

    /// <summary>Every key a topic accepts.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        RetentionMs, RetentionBytes, SegmentBytes, SegmentMs, MinInsyncReplicas, MaxMessageBytes, CleanupPolicy,
        RemoteStorageEnable, LocalRetentionMs, LocalRetentionBytes, FlushPolicy, FlushMs, IndexIntervalBytes,
        UncleanLeaderElectionEnable,
    ];
}
