namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>SyncGroup (14): the leader hands in the assignment; every member gets its own share.</summary>
[KafkaMessage(14, "0-5", "4+")]
internal sealed partial class SyncGroupRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";
    [KafkaField("0+")] public int GenerationId { get; set; }
    [KafkaField("0+")] public string MemberId { get; set; } = "";
    [KafkaField("3+", NullableVersions = "3+")] public string? GroupInstanceId { get; set; }
    [KafkaField("5+", NullableVersions = "5+")] public string? ProtocolType { get; set; }
    [KafkaField("5+", NullableVersions = "5+")] public string? ProtocolName { get; set; }
    [KafkaField("0+")] public List<Assignment> Assignments { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Assignment
    {
        [KafkaField("0+")] public string MemberId { get; set; } = "";
        [KafkaField("0+")] public ReadOnlyMemory<byte> Bytes { get; set; }
    }
}

[KafkaMessage(14, "0-5", "4+")]
internal sealed partial class SyncGroupResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("5+", NullableVersions = "5+")] public string? ProtocolType { get; set; }
    [KafkaField("5+", NullableVersions = "5+")] public string? ProtocolName { get; set; }
    [KafkaField("0+")] public ReadOnlyMemory<byte> Assignment { get; set; }
}
