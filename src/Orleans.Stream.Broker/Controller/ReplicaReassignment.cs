namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// Moving a partition's replicas (Kafka's reassignment, in the same two steps): first the partition runs with the old
/// and the new replicas together, so the new ones copy the log from the leader; once every new replica is in the ISR
/// the old ones leave (and delete their copy), and a leader that is not among the new replicas hands over to the
/// first new one in sync, with the next leader epoch. Acknowledged records are never on fewer replicas than before.
/// </summary>
internal static class ReplicaReassignment
{
    /// <summary>The first step: the target replicas join the current ones (targets first, in the order given).</summary>
    public static PartitionDescription Begin(PartitionDescription partition, int[] target) => partition with
    {
        Replicas = [.. target, .. partition.Replicas.Except(target)],
        TargetReplicas = target,
        PartitionEpoch = partition.PartitionEpoch + 1,
    };

    /// <summary>The second step, once every target replica is in sync; the same instance while some are not yet.</summary>
    public static PartitionDescription TryComplete(PartitionDescription partition, out int[] removed)
    {
        removed = [];
        int[]? target = partition.TargetReplicas;
        if (target is null || !target.All(partition.Isr.Contains))
        {
            return partition;
        }

        removed = [.. partition.Replicas.Except(target)];
        bool leaderStays = target.Contains(partition.Leader);
        return partition with
        {
            Replicas = target,
            TargetReplicas = null,
            Isr = [.. partition.Isr.Where(target.Contains)],
            Leader = leaderStays ? partition.Leader : target[0],
            LeaderEpoch = leaderStays ? partition.LeaderEpoch : partition.LeaderEpoch + 1,
            PartitionEpoch = partition.PartitionEpoch + 1,
        };
    }

    /// <summary>
    /// Where a partition's replicas should go when some of its brokers are gone for good: each gone broker's place
    /// goes to the live broker holding the fewest replicas (by <paramref name="replicaCounts"/>, which this updates)
    /// that does not hold one of this partition already. Null when nothing is gone or no live broker can take a place.
    /// </summary>
    public static int[]? ReplaceGone(int[] replicas, IReadOnlySet<int> gone, IReadOnlyCollection<int> live, Dictionary<int, int> replicaCounts)
    {
        int[]? result = null;
        for (int i = 0; i < replicas.Length; i++)
        {
            if (!gone.Contains(replicas[i]))
            {
                continue;
            }

            int best = -1;
            foreach (int candidate in live)
            {
                bool taken = Array.IndexOf(result ?? replicas, candidate) >= 0;
                if (!taken && (best < 0 || replicaCounts.GetValueOrDefault(candidate) < replicaCounts.GetValueOrDefault(best) ||
                               (replicaCounts.GetValueOrDefault(candidate) == replicaCounts.GetValueOrDefault(best) && candidate < best)))
                {
                    best = candidate;
                }
            }

            if (best < 0)
            {
                return null;
            }

            result ??= (int[])replicas.Clone();
            result[i] = best;
            replicaCounts[best] = replicaCounts.GetValueOrDefault(best) + 1;
        }

        return result;
    }
}
