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
