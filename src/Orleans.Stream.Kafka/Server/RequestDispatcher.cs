using Orleans.Stream.Kafka.Handlers;
using Orleans.Stream.Kafka.Protocol;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Server;

/// <summary>Routes a decoded request to its handler.</summary>
internal static class RequestDispatcher
{
    public static async ValueTask<KafkaAnswer> DispatchAsync(BrokerContext broker, RequestHeader header, IKafkaMessage request) => request switch
    {
        Wire.ProduceRequest produce => new KafkaAnswer(await ProduceHandler.HandleAsync(broker, produce).ConfigureAwait(false)),
        Wire.FetchRequest fetch => await FetchHandler.HandleAsync(broker, fetch).ConfigureAwait(false),
        Wire.ListOffsetsRequest listOffsets => new KafkaAnswer(await ListOffsetsHandler.HandleAsync(broker, listOffsets).ConfigureAwait(false)),
        Wire.MetadataRequest metadata => new KafkaAnswer(await MetadataHandler.HandleAsync(broker, metadata).ConfigureAwait(false)),
        Wire.ApiVersionsRequest => new KafkaAnswer(new Wire.ApiVersionsResponse { ApiKeys = KafkaApis.Versions() }),
        Wire.InitProducerIdRequest init => new KafkaAnswer(await InitProducerIdHandler.HandleAsync(broker, init).ConfigureAwait(false)),
        Wire.FindCoordinatorRequest find => new KafkaAnswer(GroupHandlers.FindCoordinator(broker, find)),
        Wire.JoinGroupRequest join => new KafkaAnswer(await GroupHandlers.JoinAsync(broker, header, join).ConfigureAwait(false)),
        Wire.SyncGroupRequest sync => new KafkaAnswer(await GroupHandlers.SyncAsync(broker, sync).ConfigureAwait(false)),
        Wire.HeartbeatRequest heartbeat => new KafkaAnswer(await GroupHandlers.HeartbeatAsync(broker, heartbeat).ConfigureAwait(false)),
        Wire.LeaveGroupRequest leave => new KafkaAnswer(await GroupHandlers.LeaveAsync(broker, leave).ConfigureAwait(false)),
        Wire.ListGroupsRequest list => new KafkaAnswer(await GroupHandlers.ListAsync(broker, list).ConfigureAwait(false)),
        Wire.DescribeGroupsRequest describe => new KafkaAnswer(await GroupHandlers.DescribeAsync(broker, describe).ConfigureAwait(false)),
        Wire.OffsetCommitRequest commit => new KafkaAnswer(await OffsetHandlers.CommitAsync(broker, commit).ConfigureAwait(false)),
        Wire.OffsetFetchRequest offsets => new KafkaAnswer(await OffsetHandlers.FetchAsync(broker, offsets).ConfigureAwait(false)),
        Wire.CreateTopicsRequest create => new KafkaAnswer(await AdminHandlers.CreateTopicsAsync(broker, create).ConfigureAwait(false)),
        Wire.DeleteTopicsRequest delete => new KafkaAnswer(await AdminHandlers.DeleteTopicsAsync(broker, delete).ConfigureAwait(false)),
        Wire.CreatePartitionsRequest grow => new KafkaAnswer(await AdminHandlers.CreatePartitionsAsync(broker, grow).ConfigureAwait(false)),
        Wire.DescribeConfigsRequest configs => new KafkaAnswer(await AdminHandlers.DescribeConfigsAsync(broker, configs).ConfigureAwait(false)),
        Wire.OffsetForLeaderEpochRequest epoch => new KafkaAnswer(await OffsetForLeaderEpochHandler.HandleAsync(broker, epoch).ConfigureAwait(false)),
        _ => throw new KafkaProtocolException($"no handler for API key {request.ApiKey}."),
    };
}
