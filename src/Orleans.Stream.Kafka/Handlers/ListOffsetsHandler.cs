using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>ListOffsets: the earliest (-2) or latest (-1, the high watermark) offset, or the first at or after a timestamp, from each partition's leader here.</summary>
internal static class ListOffsetsHandler
{
    public static async ValueTask<Wire.ListOffsetsResponse> HandleAsync(BrokerContext broker, Wire.ListOffsetsRequest request)
    {
        ClusterView.Snapshot cluster = await broker.ViewForAsync(request.Topics, static t => t.Name, static t => t.Partitions, static p => p.PartitionIndex).ConfigureAwait(false);
        var response = new Wire.ListOffsetsResponse();
        var queries = new List<(Wire.ListOffsetsResponse.Partition Answer, Task<Stream.ListOffsetsResponse> Query)>();
        foreach (Wire.ListOffsetsRequest.Topic topic in request.Topics)
        {
            var topicAnswer = new Wire.ListOffsetsResponse.Topic { Name = topic.Name };
            response.Topics.Add(topicAnswer);
            foreach (Wire.ListOffsetsRequest.Partition partition in topic.Partitions)
            {
                var answer = new Wire.ListOffsetsResponse.Partition { PartitionIndex = partition.PartitionIndex };
                topicAnswer.Partitions.Add(answer);
                if (broker.NotServedHere(cluster, topic.Name, partition.PartitionIndex) is { } notHere)
                {
                    answer.ErrorCode = (short)notHere;
                }
                else
                {
                    answer.LeaderEpoch = cluster.Partition(topic.Name, partition.PartitionIndex)!.LeaderEpoch;
                    queries.Add((answer, broker.Partition(topic.Name, partition.PartitionIndex).ListOffsets(partition.Timestamp)));
                }
            }
        }

        foreach ((Wire.ListOffsetsResponse.Partition answer, Task<Stream.ListOffsetsResponse> query) in queries)
        {
            try
            {
                Stream.ListOffsetsResponse found = await query.ConfigureAwait(false);
                answer.ErrorCode = (short)found.Error;
                answer.Offset = found.Offset;
                answer.Timestamp = found.Timestamp;
            }
            catch (Exception error)
            {
                answer.ErrorCode = (short)broker.Failure(error);
            }
        }

        return response;
    }
}
