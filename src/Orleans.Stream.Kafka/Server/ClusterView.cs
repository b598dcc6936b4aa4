using System.Diagnostics;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// The controller's cluster description, asked for at most once per <c>maxAge</c> per broker and shared by every Kafka
/// connection on it: Metadata answers and the "am I the leader?" check read it; produce and fetch themselves go
/// straight to the local partition grains, never through the controller. Concurrent askers share one call.
/// </summary>
internal sealed class ClusterView(IGrainFactory grains, TimeSpan maxAge)
{
    private readonly long _maxAge = (long)(maxAge.TotalSeconds * Stopwatch.Frequency);

    private readonly Lock _gate = new();
    private Snapshot? _snapshot;
    private Task<Snapshot>? _fetching;
    private long _fetchingSince;
    private long _notBefore;

    /// <summary>A description at most <c>maxAge</c> old, and none from before the last <see cref="Invalidate"/>.</summary>
    public ValueTask<Snapshot> GetAsync() =>
        TakenSinceAsync(Math.Max(Volatile.Read(ref _notBefore), Stopwatch.GetTimestamp() - _maxAge));

    /// <summary>
    /// A description the controller gave after <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp). A
    /// request that names a partition the cached description lacks, or leads elsewhere, asks for one taken after the
    /// request arrived: its client learnt of the topic (or the new leader) before it sent it, so that one settles it.
    /// </summary>
    public ValueTask<Snapshot> TakenSinceAsync(long since)
    {
        Snapshot? current = Volatile.Read(ref _snapshot);
        return current is not null && current.TakenSince >= since ? new(current) : new(FetchAsync(since));
    }

    /// <summary>After a NotLeaderOrFollower or a failed call, the next request looks again.</summary>
    public void Invalidate()
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _notBefore = Math.Max(_notBefore, now);
        }
    }

    private Task<Snapshot> FetchAsync(long since)
    {
        lock (_gate)
        {
            if (_fetching is { IsCompleted: false } running && _fetchingSince >= since)
            {
                return running;
            }

            _fetchingSince = Stopwatch.GetTimestamp();
            return _fetching = FetchCoreAsync(_fetchingSince);
        }
    }

    private async Task<Snapshot> FetchCoreAsync(long startedAt)
    {
        ClusterDescription description = await grains.GetGrain<IControllerGrain>(0).DescribeCluster().ConfigureAwait(false);
        var fresh = new Snapshot(description, startedAt);
        lock (_gate)
        {
            if (_snapshot is null || _snapshot.TakenSince < startedAt)
            {
                _snapshot = fresh; // a slower, older answer never replaces a newer one
            }
        }

        return fresh;
    }

    internal sealed class Snapshot
    {
        private readonly Dictionary<string, TopicDescription> _topics;

        public Snapshot(ClusterDescription cluster, long takenSince)
        {
            Cluster = cluster;
            TakenSince = takenSince;
            _topics = new Dictionary<string, TopicDescription>(cluster.Topics.Length, StringComparer.Ordinal);
            foreach (TopicDescription topic in cluster.Topics)
            {
                _topics[topic.Name] = topic;
            }
        }

        public ClusterDescription Cluster { get; }

        /// <summary>When the controller was asked (a <see cref="Stopwatch"/> timestamp): it reflects everything before.</summary>
        public long TakenSince { get; }

        public TopicDescription? Topic(string name) => _topics.GetValueOrDefault(name);

        /// <summary>The partition's description, or null if the topic or partition does not exist.</summary>
        public PartitionDescription? Partition(string topic, int partition) =>
            _topics.TryGetValue(topic, out TopicDescription? found) && partition >= 0 && partition < found.Partitions.Length ? found.Partitions[partition] : null;
    }
}
