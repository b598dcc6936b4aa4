using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// InitProducerId: a fresh producer id from the controller (the same ids the grain client's idempotent producer
/// gets), epoch 0. Transactional ids are refused: there are no transactions here.
/// </summary>
internal static class InitProducerIdHandler
{
    public static async ValueTask<Wire.InitProducerIdResponse> HandleAsync(BrokerContext broker, Wire.InitProducerIdRequest request)
    {
        if (request.TransactionalId is not null)
        {
            return new Wire.InitProducerIdResponse { ErrorCode = (short)ErrorCode.TransactionalIdAuthorizationFailed };
        }

        try
        {
            long id = await broker.Grains.GetGrain<IControllerGrain>(0).AllocateProducerId().ConfigureAwait(false);
            return new Wire.InitProducerIdResponse { ProducerId = id, ProducerEpoch = 0 };
        }
        catch (Exception error)
        {
            return new Wire.InitProducerIdResponse { ErrorCode = (short)(error is OrleansStreamException stream ? stream.Code : ErrorCode.RequestTimedOut) };
        }
    }
}
