namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>OffsetCommit (8): a group's committed positions, kept by its coordinator grain.</summary>
[KafkaMessage(8, "2-8", "8+")]
internal sealed partial class OffsetCommitRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";
    [KafkaField("1+")] public int GenerationId { get; set; } = -1;
    [KafkaField("1+")] public string MemberId { get; set; } = "";
    [KafkaField("7+", NullableVersions = "7+")] public string? GroupInstanceId { get; set; }
    [KafkaField("2-4")] public long RetentionTimeMs { get; set; } = -1;
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
        [KafkaField("0+")] public long CommittedOffset { get; set; }
        [KafkaField("6+")] public int CommittedLeaderEpoch { get; set; } = -1;
        [KafkaField("0+", NullableVersions = "0+")] public string? CommittedMetadata { get; set; }
    }
}

[KafkaMessage(8, "2-8", "8+")]
internal sealed partial class OffsetCommitResponse
{
    [KafkaField("3+")] public int ThrottleTimeMs { get; set; }
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
    }
}
