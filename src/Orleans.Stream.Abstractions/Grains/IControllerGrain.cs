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

    /// <summary>Ids of recently deleted topics: a broker that was down during a deletion removes their logs when it starts.</summary>
    Task<Guid[]> GetDeletedTopicIds();
}
