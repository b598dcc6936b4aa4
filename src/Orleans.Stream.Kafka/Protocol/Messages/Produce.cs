namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>Produce (0): record batches per partition, appended as they came (they are already our log format).</summary>
[KafkaMessage(0, "3-9", "9+")]
internal sealed partial class ProduceRequest
{
    [KafkaField("3+", NullableVersions = "3+")] public string? TransactionalId { get; set; }
    [KafkaField("0+")] public short Acks { get; set; }
    [KafkaField("0+")] public int TimeoutMs { get; set; }
    [KafkaField("0+")] public List<TopicData> Topics { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class TopicData
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public List<PartitionData> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class PartitionData
    {
        [KafkaField("0+")] public int Index { get; set; }

        /// <summary>A slice of the request frame: the batches are appended without a copy into another format.</summary>
        [KafkaField("0+", NullableVersions = "0+")] public ReadOnlyMemory<byte>? Records { get; set; }
    }
}

[KafkaMessage(0, "3-9", "9+")]
internal sealed partial class ProduceResponse
{
    [KafkaField("0+")] public List<TopicResponse> Responses { get; set; } = [];
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }

    [KafkaStruct]
    internal sealed partial class TopicResponse
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public List<PartitionResponse> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class PartitionResponse
    {
        [KafkaField("0+")] public int Index { get; set; }
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+")] public long BaseOffset { get; set; } = -1;
        [KafkaField("2+")] public long LogAppendTimeMs { get; set; } = -1;
        [KafkaField("5+")] public long LogStartOffset { get; set; } = -1;
        [KafkaField("8+")] public List<BatchIndexAndErrorMessage> RecordErrors { get; set; } = [];
        [KafkaField("8+", NullableVersions = "8+")] public string? ErrorMessage { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class BatchIndexAndErrorMessage
    {
        [KafkaField("8+")] public int BatchIndex { get; set; }
        [KafkaField("8+", NullableVersions = "8+")] public string? BatchIndexErrorMessage { get; set; }
    }
}
