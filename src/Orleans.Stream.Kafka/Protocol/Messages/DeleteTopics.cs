namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>DeleteTopics (20): by name, through the controller.</summary>
[KafkaMessage(20, "1-5", "4+")]
internal sealed partial class DeleteTopicsRequest
{
    [KafkaField("0-5")] public List<string> TopicNames { get; set; } = [];
    [KafkaField("0+")] public int TimeoutMs { get; set; }
}

[KafkaMessage(20, "1-5", "4+")]
internal sealed partial class DeleteTopicsResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Result> Responses { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Result
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("5+", NullableVersions = "5+")] public string? ErrorMessage { get; set; }
    }
}
