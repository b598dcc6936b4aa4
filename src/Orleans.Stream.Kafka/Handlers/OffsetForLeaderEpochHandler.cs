using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>OffsetForLeaderEpoch: the end of a leader epoch in the leader's log here (the same rule followers truncate by, KIP-101/320).</summary>
internal static class OffsetForLeaderEpochHandler
{
    public static async ValueTask<Wire.OffsetForLeaderEpochResponse> HandleAsync(BrokerContext broker, Wire.OffsetForLeaderEpochRequest request)
    {
        ClusterView.Snapshot cluster = await broker.ViewForAsync(request.Topics, static t => t.Name, static t => t.Partitions, static p => p.PartitionIndex).ConfigureAwait(false);
        var response = new Wire.OffsetForLeaderEpochResponse();
        var queries = new List<(Wire.OffsetForLeaderEpochResponse.Partition Answer, Task<OffsetForLeaderEpochResponse> Query)>();
        foreach (Wire.OffsetForLeaderEpochRequest.Topic topic in request.Topics)
        {
            var topicAnswer = new Wire.OffsetForLeaderEpochResponse.Topic { Name = topic.Name };
            response.Topics.Add(topicAnswer);
            foreach (Wire.OffsetForLeaderEpochRequest.Partition partition in topic.Partitions)
            {
                var answer = new Wire.OffsetForLeaderEpochResponse.Partition { PartitionIndex = partition.PartitionIndex };
                topicAnswer.Partitions.Add(answer);
                if (broker.NotServedHere(cluster, topic.Name, partition.PartitionIndex) is { } notHere)
                {
                    answer.ErrorCode = (short)notHere;
                }
                else
                {
                    queries.Add((answer, broker.Partition(topic.Name, partition.PartitionIndex).OffsetForLeaderEpoch(partition.CurrentLeaderEpoch, partition.LeaderEpoch)));
                }
            }
        }

        foreach ((Wire.OffsetForLeaderEpochResponse.Partition answer, Task<OffsetForLeaderEpochResponse> query) in queries)
        {
            try
            {
                OffsetForLeaderEpochResponse found = await query.ConfigureAwait(false);
                answer.ErrorCode = (short)found.Error;
                answer.LeaderEpoch = found.Epoch;
                answer.EndOffset = found.EndOffset;
            }
            catch (Exception error)
            {
                answer.ErrorCode = (short)broker.Failure(error);
            }
        }

        return response;
    }
}
