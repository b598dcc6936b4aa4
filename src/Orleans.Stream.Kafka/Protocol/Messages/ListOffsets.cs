namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>ListOffsets (2): the earliest or latest offset of each partition, or the first at or after a timestamp.</summary>
[KafkaMessage(2, "1-7", "6+")]
internal sealed partial class ListOffsetsRequest
{
    [KafkaField("0+")] public int ReplicaId { get; set; } = -1;
    [KafkaField("2+")] public sbyte IsolationLevel { get; set; }
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public List<Partition> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Partition
    {
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("4+")] public int CurrentLeaderEpoch { get; set; } = -1;
        [KafkaField("0+")] public long Timestamp { get; set; }
    }
}

[KafkaMessage(2, "1-7", "6+")]
internal sealed partial class ListOffsetsResponse
{
    [KafkaField("2+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public List<Partition> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Partition
    {
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("1+")] public long Timestamp { get; set; } = -1;
        [KafkaField("1+")] public long Offset { get; set; } = -1;
        [KafkaField("4+")] public int LeaderEpoch { get; set; } = -1;
    }
}
