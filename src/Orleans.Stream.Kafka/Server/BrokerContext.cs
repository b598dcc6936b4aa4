using System.Diagnostics;

namespace Orleans.Stream.Kafka.Server;

/// <summary>What every request handler of one broker's listener shares.</summary>
internal sealed class BrokerContext(int brokerId, KafkaOptions options, IGrainFactory grains)
{
    public int BrokerId { get; } = brokerId;

    public KafkaOptions Options { get; } = options;

    public IGrainFactory Grains { get; } = grains;

    public ClusterView Cluster { get; } = new(grains, options.MetadataMaxAge);

    public IPartitionGrain Partition(string topic, int partition) => Grains.GetGrain<IPartitionGrain>(new TopicPartition(topic, partition).ToString());

    /// <summary>
    /// The cluster view to serve a request for these partitions with: the cached one, unless it lacks one of them or
    /// places its leader elsewhere, in which case one asked for after the request arrived. A client that just created
    /// a topic, or just learnt of a new leader, then gets the answer the controller already holds, not the cache's
    /// "unknown topic" (which librdkafka does not retry when it looks up a start offset).
    /// </summary>
    public ValueTask<ClusterView.Snapshot> ViewForAsync<TTopic, TPartition>(
        List<TTopic> topics, Func<TTopic, string> name, Func<TTopic, List<TPartition>> partitions, Func<TPartition, int> index) =>
        ViewForAsync((topics, name, partitions, index), static (broker, cluster, request) =>
        {
            foreach (TTopic topic in request.topics)
            {
                foreach (TPartition partition in request.partitions(topic))
                {
                    if (broker.NotServedHere(cluster, request.name(topic), request.index(partition)) is not null)
                    {
                        return false;
                    }
                }
            }

            return true;
        });

    /// <summary>The cluster view for <paramref name="request"/>: the cached one if <paramref name="servesAll"/> it, else one asked for after it arrived.</summary>
    public async ValueTask<ClusterView.Snapshot> ViewForAsync<TRequest>(TRequest request, Func<BrokerContext, ClusterView.Snapshot, TRequest, bool> servesAll)
    {
        long arrived = Stopwatch.GetTimestamp();
        ClusterView.Snapshot cached = await Cluster.GetAsync().ConfigureAwait(false);
        return cached.TakenSince >= arrived || servesAll(this, cached, request) ? cached : await Cluster.TakenSinceAsync(arrived).ConfigureAwait(false);
    }

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
