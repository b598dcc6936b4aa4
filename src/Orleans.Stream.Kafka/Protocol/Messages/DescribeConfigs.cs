namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>DescribeConfigs (32): a topic's configuration (the values set on it; everything else is the default).</summary>
[KafkaMessage(32, "1-4", "4+")]
internal sealed partial class DescribeConfigsRequest
{
    [KafkaField("0+")] public List<Resource> Resources { get; set; } = [];
    [KafkaField("1+")] public bool IncludeSynonyms { get; set; }
    [KafkaField("3+")] public bool IncludeDocumentation { get; set; }

    [KafkaStruct]
    internal sealed partial class Resource
    {
        /// <summary>2: a topic; 4: a broker.</summary>
        [KafkaField("0+")] public sbyte ResourceType { get; set; }
        [KafkaField("0+")] public string ResourceName { get; set; } = "";
        [KafkaField("0+", NullableVersions = "0+")] public List<string>? ConfigurationKeys { get; set; }
    }
}

[KafkaMessage(32, "1-4", "4+")]
internal sealed partial class DescribeConfigsResponse
{
    [KafkaField("0+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Result> Results { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Result
    {
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+", NullableVersions = "0+")] public string? ErrorMessage { get; set; }
        [KafkaField("0+")] public sbyte ResourceType { get; set; }
        [KafkaField("0+")] public string ResourceName { get; set; } = "";
        [KafkaField("0+")] public List<Config> Configs { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Config
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+", NullableVersions = "0+")] public string? Value { get; set; }
        [KafkaField("0+")] public bool ReadOnly { get; set; }
        [KafkaField("1+")] public sbyte ConfigSource { get; set; } = -1;
        [KafkaField("0+")] public bool IsSensitive { get; set; }
        [KafkaField("1+")] public List<Synonym> Synonyms { get; set; } = [];
        [KafkaField("3+")] public sbyte ConfigType { get; set; }
        [KafkaField("3+", NullableVersions = "0+")] public string? Documentation { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class Synonym
    {
        [KafkaField("1+")] public string Name { get; set; } = "";
        [KafkaField("1+", NullableVersions = "0+")] public string? Value { get; set; }
        [KafkaField("1+")] public sbyte Source { get; set; }
    }
}
