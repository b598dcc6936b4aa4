namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// The controller's cluster description, asked for at most once a second per broker and shared by every Kafka
/// connection on it: Metadata answers and the "am I the leader?" check read it; produce and fetch themselves go
/// straight to the local partition grains, never through the controller.
/// </summary>
internal sealed class ClusterView(IGrainFactory grains)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private Snapshot? _snapshot;

    public async ValueTask<Snapshot> GetAsync()
    {
        Snapshot? current = Volatile.Read(ref _snapshot);
        if (current is not null && Environment.TickCount64 - current.TakenAt < MaxAge.TotalMilliseconds)
        {
            return current;
        }

        ClusterDescription description = await grains.GetGrain<IControllerGrain>(0).DescribeCluster().ConfigureAwait(false);
        var fresh = new Snapshot(description, Environment.TickCount64);
        Volatile.Write(ref _snapshot, fresh);
        return fresh;
    }

    /// <summary>After a NotLeaderOrFollower or an unknown topic, the next request looks again.</summary>
    public void Invalidate() => Volatile.Write(ref _snapshot, null);

    internal sealed class Snapshot
    {
        private readonly Dictionary<string, TopicDescription> _topics;

        public Snapshot(ClusterDescription cluster, long takenAt)
        {
            Cluster = cluster;
            TakenAt = takenAt;
            _topics = new Dictionary<string, TopicDescription>(cluster.Topics.Length, StringComparer.Ordinal);
            foreach (TopicDescription topic in cluster.Topics)
            {
                _topics[topic.Name] = topic;
            }
        }

        public ClusterDescription Cluster { get; }

        public long TakenAt { get; }

        public TopicDescription? Topic(string name) => _topics.GetValueOrDefault(name);

        /// <summary>The partition's description, or null if the topic or partition does not exist.</summary>
        public PartitionDescription? Partition(string topic, int partition) =>
            _topics.TryGetValue(topic, out TopicDescription? found) && partition >= 0 && partition < found.Partitions.Length ? found.Partitions[partition] : null;
    }
}
