namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>Metadata (3): the live brokers with their Kafka endpoints, and each topic's partitions, leaders, replicas and ISR.</summary>
[KafkaMessage(3, "0-12", "9+")]
internal sealed partial class MetadataRequest
{
    /// <summary>Null (from version 1): every topic.</summary>
    [KafkaField("0+", NullableVersions = "1+")] public List<RequestTopic>? Topics { get; set; }
    [KafkaField("4+")] public bool AllowAutoTopicCreation { get; set; } = true;
    [KafkaField("8-10")] public bool IncludeClusterAuthorizedOperations { get; set; }
    [KafkaField("8+")] public bool IncludeTopicAuthorizedOperations { get; set; }

    [KafkaStruct]
    internal sealed partial class RequestTopic
    {
        [KafkaField("10+")] public Guid TopicId { get; set; }
        [KafkaField("0+", NullableVersions = "10+")] public string? Name { get; set; }
    }
}

[KafkaMessage(3, "0-12", "9+")]
internal sealed partial class MetadataResponse
{
    [KafkaField("3+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Broker> Brokers { get; set; } = [];
    [KafkaField("2+", NullableVersions = "2+")] public string? ClusterId { get; set; }
    [KafkaField("1+")] public int ControllerId { get; set; } = -1;
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];
    [KafkaField("8-10")] public int ClusterAuthorizedOperations { get; set; } = int.MinValue;

    [KafkaStruct]
    internal sealed partial class Broker
    {
        [KafkaField("0+")] public int NodeId { get; set; }
        [KafkaField("0+")] public string Host { get; set; } = "";
        [KafkaField("0+")] public int Port { get; set; }
        [KafkaField("1+", NullableVersions = "1+")] public string? Rack { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+", NullableVersions = "12+")] public string? Name { get; set; }
        [KafkaField("10+")] public Guid TopicId { get; set; }
        [KafkaField("1+")] public bool IsInternal { get; set; }
        [KafkaField("0+")] public List<Partition> Partitions { get; set; } = [];
        [KafkaField("8+")] public int TopicAuthorizedOperations { get; set; } = int.MinValue;
    }

    [KafkaStruct]
    internal sealed partial class Partition
    {
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("0+")] public int LeaderId { get; set; }
        [KafkaField("7+")] public int LeaderEpoch { get; set; } = -1;
        [KafkaField("0+")] public List<int> ReplicaNodes { get; set; } = [];
        [KafkaField("0+")] public List<int> IsrNodes { get; set; } = [];
        [KafkaField("5+")] public List<int> OfflineReplicas { get; set; } = [];
    }
}
