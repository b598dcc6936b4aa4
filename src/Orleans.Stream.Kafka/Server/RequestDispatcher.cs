using Orleans.Stream.Kafka.Handlers;
using Orleans.Stream.Kafka.Protocol;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Server;

/// <summary>Routes a decoded request to its handler.</summary>
internal static class RequestDispatcher
{
    public static async ValueTask<KafkaAnswer> DispatchAsync(BrokerContext broker, IKafkaMessage request) => request switch
    {
        Wire.ProduceRequest produce => new KafkaAnswer(await ProduceHandler.HandleAsync(broker, produce).ConfigureAwait(false)),
        Wire.FetchRequest fetch => await FetchHandler.HandleAsync(broker, fetch).ConfigureAwait(false),
        Wire.ListOffsetsRequest listOffsets => new KafkaAnswer(await ListOffsetsHandler.HandleAsync(broker, listOffsets).ConfigureAwait(false)),
        Wire.MetadataRequest metadata => new KafkaAnswer(await MetadataHandler.HandleAsync(broker, metadata).ConfigureAwait(false)),
        Wire.ApiVersionsRequest => new KafkaAnswer(new Wire.ApiVersionsResponse { ApiKeys = KafkaApis.Versions() }),
        Wire.InitProducerIdRequest init => new KafkaAnswer(await InitProducerIdHandler.HandleAsync(broker, init).ConfigureAwait(false)),
        _ => throw new KafkaProtocolException($"no handler for API key {request.ApiKey}."),
    };
}
