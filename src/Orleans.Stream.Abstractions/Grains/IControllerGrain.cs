namespace Orleans.Stream;

/// <summary>
/// The cluster's single source of truth for topics: names, configs, partition → broker assignment, leaders and
/// epochs. One activation per cluster (key 0); its state is persisted, so topics survive a full restart.
/// Clients and brokers cache what it answers; produce and fetch never go through it.
/// </summary>
public interface IControllerGrain : IGrainWithIntegerKey
{
    /// <summary>Creates a topic, or throws <see cref="OrleansStreamException"/> (InvalidTopic, TopicAlreadyExists, InvalidPartitions, InvalidReplicationFactor, InvalidConfig).</summary>
    Task<TopicDescription> CreateTopic(CreateTopicRequest request);

    /// <summary>Deletes a topic and, on every broker, its data. Throws UnknownTopicOrPartition if there is none.</summary>
    Task DeleteTopic(string name);

    /// <summary>
    /// Grows a topic to <paramref name="totalPartitions"/> partitions (Kafka's CreatePartitions): the new ones are placed
    /// like a new topic's and start empty. Existing partitions, and so the records in them, stay as they are; keyed
    /// records produced from now on may map to other partitions. Throws UnknownTopicOrPartition, InvalidPartitions
    /// (not more than now, or above the limit) and InvalidReplicationFactor (too few live brokers).
    /// </summary>
    Task<TopicDescription> CreatePartitions(string name, int totalPartitions);

    Task<string[]> ListTopics();

    /// <summary>The topic, or null when there is none by that name.</summary>
    Task<TopicDescription?> DescribeTopic(string name);

    /// <summary>Every topic, with its partitions: what brokers check their local logs against.</summary>
    Task<TopicDescription[]> GetAllTopics();

    Task<ClusterDescription> DescribeCluster();

    /// <summary>
    /// A producer id never handed out before in this cluster (Kafka's InitProducerId for an idempotent producer):
    /// its batches carry it with epoch 0 and sequences from 0 per partition.
    /// </summary>
    Task<long> AllocateProducerId();

    /// <summary>
    /// A partition leader changes its ISR (Kafka's AlterPartition): followers that fell behind leave, ones that caught up
    /// come back. The change is persisted before it is answered. Throws FencedLeaderEpoch when
    /// <paramref name="leaderEpoch"/> is not the current one (the caller was deposed) and InvalidRequest when the ISR
    /// is not a non-empty subset of the replicas holding the leader.
    /// </summary>
    Task<PartitionDescription> AlterIsr(TopicPartition partition, int leaderEpoch, int[] isr);

    /// <summary>
    /// Moves a partition's replicas to <paramref name="replicas"/> (live brokers, the first the preferred leader): the
    /// new ones join and copy the log from the leader, and once all of them are in sync the old ones leave and delete
    /// their copy, and leadership moves if the leader is not among the new replicas. Throws InvalidRequest while
    /// another reassignment of the partition runs, InvalidReplicationFactor for an empty or repeating list, and
    /// LeaderNotAvailable for a broker that is not alive.
    /// </summary>
    Task<PartitionDescription> ReassignPartition(TopicPartition partition, int[] replicas);

    /// <summary>
    /// Checks every partition against the brokers alive now: a dead broker leaves every ISR (unless it is the last
    /// member), a partition whose leader died gets a new one from its ISR with the next leader epoch, and a partition
    /// without a leader gets one as soon as an ISR member is back. Brokers call it when membership changes; the
    /// controller also runs it by itself every second while active.
    /// </summary>
    Task ReconcileBrokers();

    /// <summary>Ids of recently deleted topics: a broker that was down during a deletion removes their logs when it starts.</summary>
    Task<Guid[]> GetDeletedTopicIds();
}
