namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// The controller's rules for one partition when the set of live brokers changes (Kafka's, as KRaft applies them).
/// <list type="bullet">
/// <item>A dead broker leaves the ISR at once, unless it is the last member: then it stays, so that only it (the one
/// replica known to have every acknowledged record) can lead again.</item>
/// <item>A partition whose leader is dead gets the first live ISR member in replica order as leader, with the next
/// leader epoch. With none alive it has no leader (-1) until one comes back, or, with
/// <c>unclean.leader.election.enable</c>, takes any live replica and may lose acknowledged records.</item>
/// </list>
/// </summary>
internal static class LeaderElection
{
    /// <summary>The partition as it must be with <paramref name="live"/> brokers; the same instance when nothing changes.</summary>
    public static PartitionDescription Reconcile(PartitionDescription partition, IReadOnlySet<int> live, bool uncleanElection)
    {
        int[] liveIsr = [.. partition.Isr.Where(live.Contains)];
        bool leaderAlive = partition.Leader != PartitionDescription.NoLeader && live.Contains(partition.Leader);
        if (leaderAlive)
        {
            return liveIsr.Length == partition.Isr.Length
                ? partition
                : partition with { Isr = liveIsr, PartitionEpoch = partition.PartitionEpoch + 1 };
        }

        foreach (int replica in partition.Replicas)
        {
            if (live.Contains(replica) && partition.Isr.Contains(replica))
            {
                return NewLeader(partition, replica, liveIsr);
            }
        }

        if (uncleanElection)
        {
            foreach (int replica in partition.Replicas)
            {
                if (live.Contains(replica))
                {
                    return NewLeader(partition, replica, [replica]);
                }
            }
        }

        // Nobody eligible is alive: no leader, and the ISR keeps its last members so one of them leads again.
        return partition.Leader == PartitionDescription.NoLeader
            ? partition
            : partition with
            {
                Leader = PartitionDescription.NoLeader,
                LeaderEpoch = partition.LeaderEpoch + 1,
                Isr = liveIsr.Length > 0 ? liveIsr : partition.Isr,
                PartitionEpoch = partition.PartitionEpoch + 1,
            };
    }

    private static PartitionDescription NewLeader(PartitionDescription partition, int leader, int[] isr) => partition with
    {
        Leader = leader,
        LeaderEpoch = partition.LeaderEpoch + 1,
        Isr = isr,
        PartitionEpoch = partition.PartitionEpoch + 1,
    };
}
