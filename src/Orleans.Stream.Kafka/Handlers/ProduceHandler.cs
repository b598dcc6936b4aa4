using System.Runtime.InteropServices;
using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// Produce: each partition's record batches go, as they came, to its partition grain on this broker (its leader);
/// a partition led elsewhere answers NOT_LEADER_OR_FOLLOWER. All partitions of a request are appended at once.
/// With <c>acks=0</c> there is no answer at all, as in Kafka.
/// </summary>
internal static class ProduceHandler
{
    public static async ValueTask<Wire.ProduceResponse?> HandleAsync(BrokerContext broker, Wire.ProduceRequest request)
    {
        Acks acks = request.Acks switch
        {
            0 => Acks.None,
            1 => Acks.Leader,
            -1 => Acks.All,
            _ => (Acks)request.Acks,
        };
        ClusterView.Snapshot cluster = await broker.ViewForAsync(request.Topics, static t => t.Name, static t => t.Partitions, static p => p.Index).ConfigureAwait(false);
        var response = new Wire.ProduceResponse();
        var appends = new List<(Wire.ProduceResponse.PartitionResponse Answer, Task<Stream.ProduceResponse> Append)>();
        foreach (Wire.ProduceRequest.TopicData topic in request.Topics)
        {
            var topicAnswer = new Wire.ProduceResponse.TopicResponse { Name = topic.Name };
            response.Responses.Add(topicAnswer);
            foreach (Wire.ProduceRequest.PartitionData partition in topic.Partitions)
            {
                var answer = new Wire.ProduceResponse.PartitionResponse { Index = partition.Index };
                topicAnswer.Partitions.Add(answer);
                if (request.Acks is not (0 or 1 or -1))
                {
                    answer.ErrorCode = (short)ErrorCode.InvalidRequiredAcks;
                }
                else if (request.TransactionalId is not null)
                {
                    answer.ErrorCode = (short)ErrorCode.TransactionalIdAuthorizationFailed; // no transactions here
                }
                else if (broker.NotServedHere(cluster, topic.Name, partition.Index) is { } notHere)
                {
                    answer.ErrorCode = (short)notHere;
                }
                else if (partition.Records is not { IsEmpty: false } records)
                {
                    answer.ErrorCode = (short)ErrorCode.InvalidRecord;
                    answer.ErrorMessage = "The request carries no record batches for this partition.";
                }
                else
                {
                    // The frame's bytes are ours until the answer is written: the log stamps offsets into them in place.
                    var batches = new BatchPayload(MemoryMarshal.AsMemory(records));
                    appends.Add((answer, broker.Partition(topic.Name, partition.Index).Produce(new Stream.ProduceRequest(batches, acks))));
                }
            }
        }

        foreach ((Wire.ProduceResponse.PartitionResponse answer, Task<Stream.ProduceResponse> append) in appends)
        {
            try
            {
                Stream.ProduceResponse appended = await append.ConfigureAwait(false);
                answer.ErrorCode = (short)appended.Error;
                answer.ErrorMessage = appended.ErrorMessage;
                answer.BaseOffset = appended.Error == ErrorCode.None ? appended.BaseOffset : -1;
                answer.LogStartOffset = appended.LogStartOffset;
                if (appended.Error is ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition)
                {
                    broker.Cluster.Invalidate();
                }
            }
            catch (Exception error)
            {
                answer.ErrorCode = (short)broker.Failure(error);
                answer.ErrorMessage = error.Message;
            }
        }

        return acks == Acks.None ? null : response;
    }
}
