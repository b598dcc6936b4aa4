namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>DescribeGroups (15): a group's state, protocol and members with their metadata and assignments.</summary>
[KafkaMessage(15, "0-5", "5+")]
internal sealed partial class DescribeGroupsRequest
{
    [KafkaField("0+")] public List<string> Groups { get; set; } = [];
    [KafkaField("3+")] public bool IncludeAuthorizedOperations { get; set; }
}

[KafkaMessage(15, "0-5", "5+")]
internal sealed partial class DescribeGroupsResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public List<Group> Groups { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Group
    {
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+")] public string GroupId { get; set; } = "";
        [KafkaField("0+")] public string GroupState { get; set; } = "";
        [KafkaField("0+")] public string ProtocolType { get; set; } = "";
        [KafkaField("0+")] public string ProtocolData { get; set; } = "";
        [KafkaField("0+")] public List<Member> Members { get; set; } = [];
        [KafkaField("3+")] public int AuthorizedOperations { get; set; } = int.MinValue;
    }

    [KafkaStruct]
    internal sealed partial class Member
    {
        [KafkaField("0+")] public string MemberId { get; set; } = "";
        [KafkaField("4+", NullableVersions = "4+")] public string? GroupInstanceId { get; set; }
        [KafkaField("0+")] public string ClientId { get; set; } = "";
        [KafkaField("0+")] public string ClientHost { get; set; } = "";
        [KafkaField("0+")] public ReadOnlyMemory<byte> MemberMetadata { get; set; }
        [KafkaField("0+")] public ReadOnlyMemory<byte> MemberAssignment { get; set; }
    }
}
