namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>ListGroups (16): every consumer group the cluster knows.</summary>
[KafkaMessage(16, "0-4", "3+")]
internal sealed partial class ListGroupsRequest
{
    [KafkaField("4+")] public List<string> StatesFilter { get; set; } = [];
}

[KafkaMessage(16, "0-4", "3+")]
internal sealed partial class ListGroupsResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("0+")] public short ErrorCode { get; set; }
    [KafkaField("0+")] public List<Group> Groups { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Group
    {
        [KafkaField("0+")] public string GroupId { get; set; } = "";
        [KafkaField("0+")] public string ProtocolType { get; set; } = "";
        [KafkaField("4+")] public string GroupState { get; set; } = "";
    }
}
