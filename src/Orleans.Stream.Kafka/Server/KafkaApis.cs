using Orleans.Stream.Kafka.Protocol;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// The APIs this broker speaks and their version ranges, straight from the message descriptions: what ApiVersions
/// advertises, what a request header's flexibility is judged by, and which request type a frame decodes into.
/// </summary>
internal static class KafkaApis
{
    private static readonly Api[] Supported =
    [
        new(Wire.ProduceRequest.ApiKey, Wire.ProduceRequest.LowestVersion, Wire.ProduceRequest.HighestVersion, Wire.ProduceRequest.IsFlexible, static () => new Wire.ProduceRequest()),
        new(Wire.FetchRequest.ApiKey, Wire.FetchRequest.LowestVersion, Wire.FetchRequest.HighestVersion, Wire.FetchRequest.IsFlexible, static () => new Wire.FetchRequest()),
        new(Wire.ListOffsetsRequest.ApiKey, Wire.ListOffsetsRequest.LowestVersion, Wire.ListOffsetsRequest.HighestVersion, Wire.ListOffsetsRequest.IsFlexible, static () => new Wire.ListOffsetsRequest()),
        new(Wire.MetadataRequest.ApiKey, Wire.MetadataRequest.LowestVersion, Wire.MetadataRequest.HighestVersion, Wire.MetadataRequest.IsFlexible, static () => new Wire.MetadataRequest()),
        new(Wire.ApiVersionsRequest.ApiKey, Wire.ApiVersionsRequest.LowestVersion, Wire.ApiVersionsRequest.HighestVersion, Wire.ApiVersionsRequest.IsFlexible, static () => new Wire.ApiVersionsRequest()),
        new(Wire.InitProducerIdRequest.ApiKey, Wire.InitProducerIdRequest.LowestVersion, Wire.InitProducerIdRequest.HighestVersion, Wire.InitProducerIdRequest.IsFlexible, static () => new Wire.InitProducerIdRequest()),
        new(Wire.OffsetCommitRequest.ApiKey, Wire.OffsetCommitRequest.LowestVersion, Wire.OffsetCommitRequest.HighestVersion, Wire.OffsetCommitRequest.IsFlexible, static () => new Wire.OffsetCommitRequest()),
        new(Wire.OffsetFetchRequest.ApiKey, Wire.OffsetFetchRequest.LowestVersion, Wire.OffsetFetchRequest.HighestVersion, Wire.OffsetFetchRequest.IsFlexible, static () => new Wire.OffsetFetchRequest()),
        new(Wire.FindCoordinatorRequest.ApiKey, Wire.FindCoordinatorRequest.LowestVersion, Wire.FindCoordinatorRequest.HighestVersion, Wire.FindCoordinatorRequest.IsFlexible, static () => new Wire.FindCoordinatorRequest()),
        new(Wire.JoinGroupRequest.ApiKey, Wire.JoinGroupRequest.LowestVersion, Wire.JoinGroupRequest.HighestVersion, Wire.JoinGroupRequest.IsFlexible, static () => new Wire.JoinGroupRequest()),
        new(Wire.HeartbeatRequest.ApiKey, Wire.HeartbeatRequest.LowestVersion, Wire.HeartbeatRequest.HighestVersion, Wire.HeartbeatRequest.IsFlexible, static () => new Wire.HeartbeatRequest()),
        new(Wire.LeaveGroupRequest.ApiKey, Wire.LeaveGroupRequest.LowestVersion, Wire.LeaveGroupRequest.HighestVersion, Wire.LeaveGroupRequest.IsFlexible, static () => new Wire.LeaveGroupRequest()),
        new(Wire.SyncGroupRequest.ApiKey, Wire.SyncGroupRequest.LowestVersion, Wire.SyncGroupRequest.HighestVersion, Wire.SyncGroupRequest.IsFlexible, static () => new Wire.SyncGroupRequest()),
        new(Wire.DescribeGroupsRequest.ApiKey, Wire.DescribeGroupsRequest.LowestVersion, Wire.DescribeGroupsRequest.HighestVersion, Wire.DescribeGroupsRequest.IsFlexible, static () => new Wire.DescribeGroupsRequest()),
        new(Wire.ListGroupsRequest.ApiKey, Wire.ListGroupsRequest.LowestVersion, Wire.ListGroupsRequest.HighestVersion, Wire.ListGroupsRequest.IsFlexible, static () => new Wire.ListGroupsRequest()),
        new(Wire.OffsetForLeaderEpochRequest.ApiKey, Wire.OffsetForLeaderEpochRequest.LowestVersion, Wire.OffsetForLeaderEpochRequest.HighestVersion, Wire.OffsetForLeaderEpochRequest.IsFlexible, static () => new Wire.OffsetForLeaderEpochRequest()),
        new(Wire.CreateTopicsRequest.ApiKey, Wire.CreateTopicsRequest.LowestVersion, Wire.CreateTopicsRequest.HighestVersion, Wire.CreateTopicsRequest.IsFlexible, static () => new Wire.CreateTopicsRequest()),
        new(Wire.DeleteTopicsRequest.ApiKey, Wire.DeleteTopicsRequest.LowestVersion, Wire.DeleteTopicsRequest.HighestVersion, Wire.DeleteTopicsRequest.IsFlexible, static () => new Wire.DeleteTopicsRequest()),
        new(Wire.DescribeConfigsRequest.ApiKey, Wire.DescribeConfigsRequest.LowestVersion, Wire.DescribeConfigsRequest.HighestVersion, Wire.DescribeConfigsRequest.IsFlexible, static () => new Wire.DescribeConfigsRequest()),
        new(Wire.CreatePartitionsRequest.ApiKey, Wire.CreatePartitionsRequest.LowestVersion, Wire.CreatePartitionsRequest.HighestVersion, Wire.CreatePartitionsRequest.IsFlexible, static () => new Wire.CreatePartitionsRequest()),
    ];

    public static Api? Find(short apiKey)
    {
        foreach (Api api in Supported)
        {
            if (api.Key == apiKey)
            {
                return api;
            }
        }

        return null;
    }

    /// <summary>Whether a request of this key and version has a flexible (v2) header. ApiVersions above our range is judged as flexible (KIP-511).</summary>
    public static bool IsFlexible(short apiKey, short version) => Find(apiKey) is { } api && api.IsFlexible(version);

    /// <summary>Every supported API with its version range, for the ApiVersions answer.</summary>
    public static List<Wire.ApiVersionsResponse.ApiVersion> Versions()
    {
        var versions = new List<Wire.ApiVersionsResponse.ApiVersion>(Supported.Length);
        foreach (Api api in Supported)
        {
            versions.Add(new Wire.ApiVersionsResponse.ApiVersion { ApiKey = api.Key, MinVersion = api.Min, MaxVersion = api.Max });
        }

        return versions;
    }

    internal sealed record Api(short Key, short Min, short Max, Func<short, bool> IsFlexible, Func<IKafkaMessage> NewRequest)
    {
        public bool Supports(short version) => version >= Min && version <= Max;
    }
}
