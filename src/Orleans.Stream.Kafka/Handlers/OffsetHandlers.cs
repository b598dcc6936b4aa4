using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>OffsetCommit and OffsetFetch: a group's committed positions, kept by its coordinator grain (shared with grain clients).</summary>
internal static class OffsetHandlers
{
    public static async ValueTask<Wire.OffsetCommitResponse> CommitAsync(BrokerContext broker, Wire.OffsetCommitRequest request)
    {
        var offsets = new List<CommittedOffset>();
        foreach (Wire.OffsetCommitRequest.Topic topic in request.Topics)
        {
            foreach (Wire.OffsetCommitRequest.Partition partition in topic.Partitions)
            {
                offsets.Add(new CommittedOffset(new TopicPartition(topic.Name, partition.PartitionIndex), partition.CommittedOffset, partition.CommittedMetadata));
            }
        }

        ErrorCode error;
        try
        {
            error = await GroupHandlers.Coordinator(broker, request.GroupId)
                .CommitOffsets(new OffsetCommitRequest(request.MemberId, request.GenerationId, [.. offsets])).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            error = GroupHandlers.Failure(failure);
        }

        var response = new Wire.OffsetCommitResponse();
        foreach (Wire.OffsetCommitRequest.Topic topic in request.Topics)
        {
            var answer = new Wire.OffsetCommitResponse.Topic { Name = topic.Name };
            foreach (Wire.OffsetCommitRequest.Partition partition in topic.Partitions)
            {
                answer.Partitions.Add(new Wire.OffsetCommitResponse.Partition { PartitionIndex = partition.PartitionIndex, ErrorCode = (short)error });
            }

            response.Topics.Add(answer);
        }

        return response;
    }

    public static async ValueTask<Wire.OffsetFetchResponse> FetchAsync(BrokerContext broker, Wire.OffsetFetchRequest request)
    {
        TopicPartition[]? asked = null;
        if (request.Topics is { } topics)
        {
            var partitions = new List<TopicPartition>();
            foreach (Wire.OffsetFetchRequest.Topic topic in topics)
            {
                foreach (int index in topic.PartitionIndexes)
                {
                    partitions.Add(new TopicPartition(topic.Name, index));
                }
            }

            asked = [.. partitions];
        }

        var response = new Wire.OffsetFetchResponse();
        CommittedOffset[] committed;
        try
        {
            committed = await GroupHandlers.Coordinator(broker, request.GroupId).FetchOffsets(asked).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            response.ErrorCode = (short)GroupHandlers.Failure(error);
            return response;
        }

        var byTopic = new Dictionary<string, Wire.OffsetFetchResponse.Topic>(StringComparer.Ordinal);
        foreach (CommittedOffset offset in committed)
        {
            if (!byTopic.TryGetValue(offset.TopicPartition.Topic, out Wire.OffsetFetchResponse.Topic? topic))
            {
                topic = new Wire.OffsetFetchResponse.Topic { Name = offset.TopicPartition.Topic };
                byTopic.Add(topic.Name, topic);
                response.Topics.Add(topic);
            }

            topic.Partitions.Add(new Wire.OffsetFetchResponse.Partition
            {
                PartitionIndex = offset.TopicPartition.Partition,
                CommittedOffset = offset.Offset,
                Metadata = offset.Metadata ?? "",
            });
        }

        return response;
    }
}
