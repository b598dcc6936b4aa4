namespace Orleans.Stream.Broker;

/// <summary>Who this broker is and where it keeps its logs (configuration section <c>Broker</c>).</summary>
public sealed class BrokerOptions
{
    public const string SectionName = "Broker";

    /// <summary>
    /// The broker's stable id (<c>Broker:Id</c>): the same across restarts, unlike the silo address. In Kubernetes
    /// it is the StatefulSet ordinal, locally the AppHost's broker number.
    /// </summary>
    public int Id { get; set; } = -1;

    /// <summary>
    /// Where Kafka clients reach this broker (advertised <c>host:port</c> of its Kafka listener), published for the
    /// Metadata answers of every broker; null when the broker has no Kafka listener.
    /// </summary>
    public string? KafkaEndpoint { get; set; }

    /// <summary>The directory holding one sub-directory per partition replica (<c>Broker:DataDir</c>).</summary>
    public string DataDir { get; set; } = "";

    /// <summary>How often retention runs over every local log (Kafka's <c>log.retention.check.interval.ms</c>).</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often each log rewrites its recovery checkpoint (Kafka's <c>log.flush.offset.checkpoint.interval.ms</c>,
    /// also 60 s). Each write costs two fsyncs on the disk the acknowledgements wait on; a longer interval only means
    /// recovery after a crash rescans more of the tail (at GB/s).
    /// </summary>
    public TimeSpan RecoveryCheckpointInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How much of each partition log's newest flushed data stays in the kernel's page cache; older flushed pages are
    /// given back after each fsync, so appends reuse them (tailing consumers and replication read from the part kept;
    /// catch-up reads of older data go to disk). -1 leaves caching to the kernel, as Kafka does. The default suits VMs
    /// whose host takes back the guest's free memory, where every fresh page-cache page costs a host fault
    /// (docs/benchmarks.md, session 11: RF=3 max rate about a fifth higher, p99 at fixed rates a fifth to a half lower).
    /// </summary>
    public long PageCacheTailBytes { get; set; } = 8 << 20;

    /// <summary>The longest a fetch may wait for new data, whatever it asks; well below the 30 s grain call timeout.</summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A follower that has not caught up with the leader's log end for this long leaves the ISR (Kafka's
    /// <c>replica.lag.time.max.ms</c>, also 30 s). Brokers that die leave it at once, when membership declares them dead.
    /// </summary>
    public TimeSpan ReplicaLagTimeMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Replication requests a leader keeps in flight to one follower.</summary>
    public int ReplicationMaxInFlight { get; set; } = 1;

    /// <summary>The most bytes of batches one replication request carries (at least one whole batch).</summary>
    public int ReplicationMaxBytes { get; set; } = 8 << 20;

    /// <summary>How often an idle leader tells its followers the high watermark (and learns they are alive).</summary>
    public TimeSpan ReplicationHeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest an <c>acks=all</c> produce waits for the in-sync replicas before it answers RequestTimedOut.</summary>
    public TimeSpan ReplicationTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// When set, the replicas of a broker that has been dead this long move to live brokers by themselves (a
    /// reassignment, as <c>ostream topic reassign</c> starts it): for clusters that replace failed machines instead
    /// of repairing them. Unset (the default, as in Kafka), a dead broker keeps its replicas until it returns or an
    /// operator moves them.
    /// </summary>
    public TimeSpan? ReassignDeadBrokerReplicasAfter { get; set; }

    /// <summary>
    /// How long the first rebalance of an empty group waits for more members to join, so that consumers started
    /// together get one rebalance instead of one each (Kafka's <c>group.initial.rebalance.delay.ms</c>, also 3 s).
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The shortest session timeout a group member may ask for (Kafka's <c>group.min.session.timeout.ms</c>).</summary>
    public TimeSpan GroupMinSessionTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>The longest session timeout a group member may ask for (Kafka's <c>group.max.session.timeout.ms</c>).</summary>
    public TimeSpan GroupMaxSessionTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often a group's coordinator measures its lag while it has members (the <c>ostream.group.lag</c> gauge).</summary>
    public TimeSpan GroupLagInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the leader looks for sealed segments to copy to the remote tier, and applies total retention there.</summary>
    public TimeSpan TieringInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many partitions a broker tiers at once (each upload also sends 4 blocks in parallel).</summary>
    public int TieringConcurrency { get; set; } = 2;

    /// <summary>How often a leader sweeps its partitions' remote prefixes for blobs no manifest records.</summary>
    public TimeSpan RemoteOrphanCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An unrecorded blob younger than this is left alone: it may be an upload still in progress.</summary>
    public TimeSpan RemoteOrphanMinAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Memory for remote log chunks read for consumers (shared by all partitions of the broker).</summary>
    public long RemoteReadCacheBytes { get; set; } = 64L << 20;

    /// <summary>The unit of remote reads, caching and prefetch.</summary>
    public int RemoteReadChunkBytes { get; set; } = 1 << 20;

    internal void Validate()
    {
        if (TieringInterval <= TimeSpan.Zero || TieringConcurrency < 1 || RemoteReadCacheBytes < RemoteReadChunkBytes || RemoteReadChunkBytes < 4096)
        {
            throw new InvalidOperationException(
                $"{SectionName}:TieringInterval and TieringConcurrency must be positive, RemoteReadChunkBytes at least 4096, and RemoteReadCacheBytes at least one chunk.");
        }

        if (GroupLagInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{SectionName}:GroupLagInterval must be positive (got {GroupLagInterval}).");
        }

        if (Id < 0)
        {
            throw new InvalidOperationException($"{SectionName}:Id must be set to a non-negative broker id (got {Id}).");
        }

        if (PageCacheTailBytes < -1)
        {
            throw new InvalidOperationException($"{SectionName}:PageCacheTailBytes must be -1 (off) or at least 0.");
        }

        if (ReplicationMaxInFlight < 1 || ReplicationMaxBytes < 1)
        {
            throw new InvalidOperationException($"{SectionName}:ReplicationMaxInFlight and ReplicationMaxBytes must be positive.");
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            throw new InvalidOperationException($"{SectionName}:DataDir must name the directory this broker keeps its logs in.");
        }
    }
}
