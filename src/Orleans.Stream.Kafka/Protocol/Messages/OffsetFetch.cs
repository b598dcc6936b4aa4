namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>OffsetFetch (9): a group's committed positions (-1 where it has none).</summary>
[KafkaMessage(9, "1-7", "6+")]
internal sealed partial class OffsetFetchRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";

    /// <summary>Null (from version 2): every partition the group committed.</summary>
    [KafkaField("0+", NullableVersions = "2+")] public List<Topic>? Topics { get; set; }
    [KafkaField("7+")] public bool RequireStable { get; set; }

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public List<int> PartitionIndexes { get; set; } = [];
    }
}

[KafkaMessage(9, "1-7", "6+")]
internal sealed partial class OffsetFetchResponse
{
    [KafkaField("3+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];
    [KafkaField("2+")] public short ErrorCode { get; set; }

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
        [KafkaField("0+")] public long CommittedOffset { get; set; } = -1;
        [KafkaField("5+")] public int CommittedLeaderEpoch { get; set; } = -1;
        [KafkaField("0+", NullableVersions = "0+")] public string? Metadata { get; set; }
        [KafkaField("0+")] public short ErrorCode { get; set; }
    }
}
