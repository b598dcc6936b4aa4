namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>InitProducerId (22): a producer id for an idempotent producer (transactions are not supported).</summary>
[KafkaMessage(22, "0-4", "2+")]
internal sealed partial class InitProducerIdRequest
{
    [KafkaField("0+", NullableVersions = "0+")] public string? TransactionalId { get; set; }
    [KafkaField("0+")] public int TransactionTimeoutMs { get; set; }
    [KafkaField("3+")] public long ProducerId { get; set; } = -1;
    [KafkaField("3+")] public short ProducerEpoch { get; set; } = -1;
}

[KafkaMessage(22, "0-4", "2+")]
internal sealed partial class InitProducerIdResponse
{
    [KafkaField("0+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("0+")] public long ProducerId { get; set; } = -1;
    [KafkaField("0+")] public short ProducerEpoch { get; set; } = -1;
}
