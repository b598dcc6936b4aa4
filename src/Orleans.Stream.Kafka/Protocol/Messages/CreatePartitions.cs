namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>CreatePartitions (37): grows topics (placement is the controller's; explicit assignments are refused).</summary>
[KafkaMessage(37, "0-3", "2+")]
internal sealed partial class CreatePartitionsRequest
{
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];
    [KafkaField("0+")] public int TimeoutMs { get; set; }
    [KafkaField("0+")] public bool ValidateOnly { get; set; }

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public int Count { get; set; }
        [KafkaField("0+", NullableVersions = "0+")] public List<Assignment>? Assignments { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class Assignment
    {
        [KafkaField("0+")] public List<int> BrokerIds { get; set; } = [];
    }
}

[KafkaMessage(37, "0-3", "2+")]
internal sealed partial class CreatePartitionsResponse
{
    [KafkaField("0+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Result> Results { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Result
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+", NullableVersions = "0+")] public string? ErrorMessage { get; set; }
    }
}
