namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// What one leading partition grain publishes about its replication, for the meters and the health checks: written
/// on the grain's thread, read from others, so each field is a single word read and written whole.
/// </summary>
internal sealed class LeaderStatus(TopicPartition partition)
{
    private int _replicas;
    private int _inSync;
    private int _minInsync;
    private long _maxLag;

    public TopicPartition Partition { get; } = partition;

    public int Replicas => Volatile.Read(ref _replicas);

    public int InSync => Volatile.Read(ref _inSync);

    /// <summary>Fewer in-sync replicas than replicas.</summary>
    public bool IsUnderReplicated => InSync < Replicas;

    /// <summary>Fewer in-sync replicas than <c>min.insync.replicas</c>: <c>acks=all</c> produce is refused.</summary>
    public bool IsUnderMinIsr => InSync < Volatile.Read(ref _minInsync);

    /// <summary>The records the furthest-behind follower lacks (the leader's log end minus its acknowledged end).</summary>
    public long MaxLag => Volatile.Read(ref _maxLag);

    public void SetReplicas(int replicas, int inSync, int minInsync)
    {
        Volatile.Write(ref _replicas, replicas);
        Volatile.Write(ref _inSync, inSync);
        Volatile.Write(ref _minInsync, minInsync);
    }

    public void SetMaxLag(long lag) => Volatile.Write(ref _maxLag, lag);
}
