using Orleans.Stream.Kafka.Protocol;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// Kafka's request header: v1 (api key, version, correlation id, client id) for classic versions, v2 (the same,
/// then tagged fields) for flexible ones. The client id stays a classic nullable string even in v2.
/// </summary>
internal readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId)
{
    public static RequestHeader Read(ref KafkaReader reader, Func<short, short, bool> isFlexible)
    {
        short apiKey = reader.ReadInt16();
        short apiVersion = reader.ReadInt16();
        int correlationId = reader.ReadInt32();
        string? clientId = reader.ReadNullableString(compact: false);
        if (isFlexible(apiKey, apiVersion))
        {
            int tags = reader.ReadUnsignedVarint();
            for (int i = 0; i < tags; i++)
            {
                reader.ReadUnsignedVarint();
                reader.Skip(reader.ReadUnsignedVarint());
            }
        }

        return new RequestHeader(apiKey, apiVersion, correlationId, clientId);
    }
}
