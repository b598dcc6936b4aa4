using Orleans.Stream.Client.Internal;

namespace Orleans.Stream.Client;

/// <summary>Topics and the cluster: create, list, describe, delete, and offset queries.</summary>
public sealed class StreamAdmin
{
    private readonly IGrainFactory _grains;

    internal StreamAdmin(IGrainFactory grains) => _grains = grains;

    private IControllerGrain Controller => _grains.GetGrain<IControllerGrain>(0);

    /// <summary>Creates a topic; throws <see cref="OrleansStreamException"/> (InvalidTopic, TopicAlreadyExists, InvalidPartitions, InvalidReplicationFactor, InvalidConfig).</summary>
    public Task<TopicDescription> CreateTopicAsync(string name, int partitions, short replicationFactor = 1, IReadOnlyDictionary<string, string>? configs = null)
    {
        TopicName.EnsureValid(name);
        return Controller.CreateTopic(new CreateTopicRequest(name, partitions, replicationFactor, configs is null ? [] : new Dictionary<string, string>(configs)));
    }

    public async Task DeleteTopicAsync(string name)
    {
        TopicName.EnsureValid(name);
        await Controller.DeleteTopic(name).ConfigureAwait(false);
    }

    public Task<string[]> ListTopicsAsync() => Controller.ListTopics();

    /// <summary>The topic; throws UnknownTopicOrPartition if there is none.</summary>
    public async Task<TopicDescription> DescribeTopicAsync(string name)
    {
        TopicName.EnsureValid(name);
        return await Controller.DescribeTopic(name).ConfigureAwait(false)
            ?? throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
    }

    public Task<ClusterDescription> DescribeClusterAsync() => Controller.DescribeCluster();

    /// <summary>
    /// Moves a partition's replicas to <paramref name="replicas"/> (preferred leader first). Returns at once with the
    /// reassignment started (<see cref="PartitionDescription.TargetReplicas"/> set) or, if nothing had to be copied, done.
    /// </summary>
    public Task<PartitionDescription> ReassignPartitionAsync(TopicPartition partition, int[] replicas) => Controller.ReassignPartition(partition, replicas);

    /// <summary>The log of one partition as its leader sees it: start and end offsets, high watermark, size.</summary>
    public async Task<PartitionState> DescribePartitionAsync(TopicPartition topicPartition)
    {
        try
        {
            return await _grains.GetGrain<IPartitionGrain>(topicPartition.ToString()).Describe().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            throw Transient.ToStreamException(error, $"Describe {topicPartition}");
        }
    }

    /// <summary>
    /// Kafka's ListOffsets: <see cref="OffsetSpec.Earliest"/>, <see cref="OffsetSpec.Latest"/> (the high watermark),
    /// or the first offset whose timestamp is at or after a time (ms since the epoch; -1 when there is none).
    /// </summary>
    public async Task<long> ListOffsetAsync(TopicPartition topicPartition, long spec)
    {
        ListOffsetsResponse response;
        try
        {
            response = await _grains.GetGrain<IPartitionGrain>(topicPartition.ToString()).ListOffsets(spec).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            throw Transient.ToStreamException(error, $"ListOffsets on {topicPartition}");
        }

        return response.Error == ErrorCode.None
            ? response.Offset
            : throw new OrleansStreamException(response.Error, response.ErrorMessage ?? $"ListOffsets on {topicPartition} failed with {response.Error}.");
    }
}
