namespace Orleans.Stream.Kafka.Server;

/// <summary>What every request handler of one broker's listener shares.</summary>
internal sealed class BrokerContext(int brokerId, KafkaOptions options, IGrainFactory grains)
{
    public int BrokerId { get; } = brokerId;

    public KafkaOptions Options { get; } = options;

    public IGrainFactory Grains { get; } = grains;

    public ClusterView Cluster { get; } = new(grains);

    public IPartitionGrain Partition(string topic, int partition) => Grains.GetGrain<IPartitionGrain>(new TopicPartition(topic, partition).ToString());

    /// <summary>
    /// Null when this broker leads the partition; otherwise the error a Kafka client expects (it then refreshes its
    /// metadata and goes to the leader itself).
    /// </summary>
    public ErrorCode? NotServedHere(ClusterView.Snapshot cluster, string topic, int partition)
    {
        PartitionDescription? description = cluster.Partition(topic, partition);
        if (description is null)
        {
            return ErrorCode.UnknownTopicOrPartition;
        }

        if (description.Leader == PartitionDescription.NoLeader)
        {
            return ErrorCode.LeaderNotAvailable;
        }

        return description.Leader == BrokerId ? null : ErrorCode.NotLeaderOrFollower;
    }

    /// <summary>What a failed grain call means to a Kafka client: the stream error it carries, else "look for the leader again".</summary>
    public ErrorCode Failure(Exception error)
    {
        Cluster.Invalidate();
        return error is OrleansStreamException stream ? stream.Code : ErrorCode.NotLeaderOrFollower;
    }
}
