namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>FindCoordinator (10): which broker to send a group's requests to (any broker here reaches its coordinator grain).</summary>
[KafkaMessage(10, "0-3", "3+")]
internal sealed partial class FindCoordinatorRequest
{
    [KafkaField("0+")] public string Key { get; set; } = "";

    /// <summary>0: a consumer group; 1: a transactional id (not supported here).</summary>
    [KafkaField("1+")] public sbyte KeyType { get; set; }
}

[KafkaMessage(10, "0-3", "3+")]
internal sealed partial class FindCoordinatorResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("1+", NullableVersions = "1+")] public string? ErrorMessage { get; set; }
    [KafkaField("0+")] public int NodeId { get; set; } = -1;
    [KafkaField("0+")] public string Host { get; set; } = "";
    [KafkaField("0+")] public int Port { get; set; } = -1;
}
