namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>LeaveGroup (13): members leave at once instead of waiting out their session timeout.</summary>
[KafkaMessage(13, "0-4", "4+")]
internal sealed partial class LeaveGroupRequest
{
    [KafkaField("0+")] public string GroupId { get; set; } = "";
    [KafkaField("0-2")] public string MemberId { get; set; } = "";
    [KafkaField("3+")] public List<Member> Members { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Member
    {
        [KafkaField("3+")] public string MemberId { get; set; } = "";
        [KafkaField("3+", NullableVersions = "3+")] public string? GroupInstanceId { get; set; }
    }
}

[KafkaMessage(13, "0-4", "4+")]
internal sealed partial class LeaveGroupResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("3+")] public List<Member> Members { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Member
    {
        [KafkaField("3+")] public string MemberId { get; set; } = "";
        [KafkaField("3+", NullableVersions = "3+")] public string? GroupInstanceId { get; set; }
        [KafkaField("3+")] public short ErrorCode { get; set; }
    }
}
