namespace Orleans.Stream.Client;

/// <summary>Where a consumer starts when it has no valid offset (Kafka's <c>auto.offset.reset</c>).</summary>
public enum AutoOffsetReset
{
    /// <summary>The log start offset.</summary>
    Earliest,

    /// <summary>The end of the log: only records produced from now on.</summary>
    Latest,

    /// <summary>Fail with OffsetOutOfRange instead.</summary>
    None,
}

/// <summary>Consumer settings, named after their Kafka counterparts.</summary>
public sealed record ConsumerOptions
{
    /// <summary><c>auto.offset.reset</c>.</summary>
    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary><c>max.partition.fetch.bytes</c>: bytes asked of one partition per fetch (at least one batch comes back regardless).</summary>
    public int MaxPartitionFetchBytes { get; init; } = 1024 * 1024;

    /// <summary><c>fetch.max.wait.ms</c>: how long a fetch at the end of the log waits on the broker for new records.</summary>
    public TimeSpan FetchMaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Fetched chunks buffered per consumer ahead of the application, over all partitions.</summary>
    public int PrefetchChunks { get; init; } = 16;

    /// <summary>
    /// Kafka's <c>check.crcs</c>: verify every fetched batch's CRC before any of its records reach the application
    /// (a mismatch fails the consumer with CorruptMessage). The broker checks on read too; this covers the way here.
    /// </summary>
    public bool CheckCrcs { get; init; } = true;

    /// <summary><c>retry.backoff.ms</c> / <c>retry.backoff.max.ms</c> for failed fetches.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>group.id</c>: the consumer group <see cref="Consumer.SubscribeAsync"/> joins and commits go to.</summary>
    public string? GroupId { get; init; }

    /// <summary><c>client.id</c>: shown with the member in <c>ostream group describe</c>, and the start of its member id.</summary>
    public string ClientId { get; init; } = "ostream-consumer";

    /// <summary>
    /// <c>partition.assignment.strategy</c>: assignors in order of preference, comma-separated: <c>range</c>,
    /// <c>roundrobin</c>, <c>cooperative-sticky</c>. The group uses one every member supports. A member rebalances
    /// cooperatively (keeps consuming what it keeps) only when all its assignors are cooperative.
    /// </summary>
    public string PartitionAssignmentStrategy { get; init; } = "range";

    /// <summary><c>session.timeout.ms</c>: a member not heard from for this long is removed and its partitions move.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary><c>heartbeat.interval.ms</c>: how often the member tells the coordinator it is alive (and learns of rebalances).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>max.poll.interval.ms</c>: sent as the rebalance timeout, how long the coordinator waits for members to rejoin.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>enable.auto.commit</c>: commit processed positions every <see cref="AutoCommitInterval"/>, when partitions are
    /// revoked, and on close. A record counts as processed once the application asks for the next one, so this is
    /// at-least-once: a crash repeats at most what was processed since the last commit.
    /// </summary>
    public bool EnableAutoCommit { get; init; } = true;

    /// <summary><c>auto.commit.interval.ms</c>.</summary>
    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>metadata.max.age.ms</c>: how often the group leader checks whether a subscribed topic gained partitions (or
    /// appeared), which starts a rebalance.
    /// </summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);
}
