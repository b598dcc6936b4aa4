namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>OffsetForLeaderEpoch (23): where a leader epoch ended, so a consumer can detect a truncated log (KIP-320).</summary>
[KafkaMessage(23, "2-4", "4+")]
internal sealed partial class OffsetForLeaderEpochRequest
{
    [KafkaField("3+")] public int ReplicaId { get; set; } = -2;
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
        [KafkaField("2+")] public int CurrentLeaderEpoch { get; set; } = -1;
        [KafkaField("0+")] public int LeaderEpoch { get; set; }
    }
}

[KafkaMessage(23, "2-4", "4+")]
internal sealed partial class OffsetForLeaderEpochResponse
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
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("1+")] public int LeaderEpoch { get; set; } = -1;
        [KafkaField("0+")] public long EndOffset { get; set; } = -1;
    }
}
