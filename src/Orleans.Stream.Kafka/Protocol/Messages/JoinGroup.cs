namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>JoinGroup (11): a member joins (or rejoins) a group and waits for the new generation.</summary>
[KafkaMessage(11, "0-7", "6+")]
internal sealed partial class JoinGroupRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";
    [KafkaField("0+")] public int SessionTimeoutMs { get; set; }
    [KafkaField("1+")] public int RebalanceTimeoutMs { get; set; } = -1;
    [KafkaField("0+")] public string MemberId { get; set; } = "";
    [KafkaField("5+", NullableVersions = "5+")] public string? GroupInstanceId { get; set; }
    [KafkaField("0+")] public string ProtocolType { get; set; } = "";
    [KafkaField("0+")] public List<Protocol> Protocols { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Protocol
    {
        [KafkaField("0+")] public string Name { get; set; } = "";
        [KafkaField("0+")] public ReadOnlyMemory<byte> Metadata { get; set; }
    }
}

[KafkaMessage(11, "0-7", "6+")]
internal sealed partial class JoinGroupResponse
{
    [KafkaField("2+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("0+")] public int GenerationId { get; set; } = -1;
    [KafkaField("7+", NullableVersions = "7+")] public string? ProtocolType { get; set; }
    [KafkaField("0+", NullableVersions = "7+")] public string? ProtocolName { get; set; } = "";
    [KafkaField("0+")] public string Leader { get; set; } = "";
    [KafkaField("0+")] public string MemberId { get; set; } = "";
    [KafkaField("0+")] public List<Member> Members { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Member
    {
        [KafkaField("0+")] public string MemberId { get; set; } = "";
        [KafkaField("5+", NullableVersions = "5+")] public string? GroupInstanceId { get; set; }
        [KafkaField("0+")] public ReadOnlyMemory<byte> Metadata { get; set; }
    }
}
