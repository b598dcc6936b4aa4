namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>Heartbeat (12): keeps a member in its group and tells it when a rebalance starts.</summary>
[KafkaMessage(12, "0-4", "4+")]
internal sealed partial class HeartbeatRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";
    [KafkaField("0+")] public int GenerationId { get; set; }
    [KafkaField("0+")] public string MemberId { get; set; } = "";
    [KafkaField("3+", NullableVersions = "3+")] public string? GroupInstanceId { get; set; }
}

[KafkaMessage(12, "0-4", "4+")]
internal sealed partial class HeartbeatResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
}
