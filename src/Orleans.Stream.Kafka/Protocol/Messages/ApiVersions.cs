namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>ApiVersions (18): what a client asks first, to learn the versions of every API this broker speaks.</summary>
[KafkaMessage(18, "0-3", "3+")]
internal sealed partial class ApiVersionsRequest
{
    [KafkaField("3+")] public string ClientSoftwareName { get; set; } = "";
    [KafkaField("3+")] public string ClientSoftwareVersion { get; set; } = "";
}

[KafkaMessage(18, "0-3", "3+")]
internal sealed partial class ApiVersionsResponse
{
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("0+")] public List<ApiVersion> ApiKeys { get; set; } = [];
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }

    [KafkaStruct]
    internal sealed partial class ApiVersion
    {
        [KafkaField("0+")] public short ApiKey { get; set; }
        [KafkaField("0+")] public short MinVersion { get; set; }
        [KafkaField("0+")] public short MaxVersion { get; set; }
    }
}
