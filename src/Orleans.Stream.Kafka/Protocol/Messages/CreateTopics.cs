namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>CreateTopics (19): through the controller, with Kafka's topic config names.</summary>
[KafkaMessage(19, "2-5", "5+")]
internal sealed partial class CreateTopicsRequest
{
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];
    [KafkaField("0+")] public int TimeoutMs { get; set; }
    [KafkaField("1+")] public bool ValidateOnly { get; set; }

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public int NumPartitions { get; set; } = -1;
        [KafkaField("0+")] public short ReplicationFactor { get; set; } = -1;
        [KafkaField("0+")] public List<Assignment> Assignments { get; set; } = [];
        [KafkaField("0+")] public List<Config> Configs { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Assignment
    {
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("0+")] public List<int> BrokerIds { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Config
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+", NullableVersions = "0+")] public string? Value { get; set; }
    }
}

[KafkaMessage(19, "2-5", "5+")]
internal sealed partial class CreateTopicsResponse
{
    [KafkaField("2+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("1+", NullableVersions = "0+")] public string? ErrorMessage { get; set; }
        [KafkaField("5+")] public int NumPartitions { get; set; } = -1;
        [KafkaField("5+")] public short ReplicationFactor { get; set; } = -1;
        [KafkaField("5+", NullableVersions = "5+")] public List<Config>? Configs { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class Config
    {
        [KafkaField("5+")] public string Name { get; set; } = "";
        [KafkaField("5+", NullableVersions = "5+")] public string? Value { get; set; }
        [KafkaField("5+")] public bool ReadOnly { get; set; }
        [KafkaField("5+")] public sbyte ConfigSource { get; set; } = -1;
        [KafkaField("5+")] public bool IsSensitive { get; set; }
    }
}
