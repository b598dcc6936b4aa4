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
    public static PartitionDescription Begin(PartitionDescription partition, int[] target)
    {
        var replicas = new List<int>(target);
        foreach (int replica in partition.Replicas)
        {
            if (Array.IndexOf(target, replica) < 0)
            {
                replicas.Add(replica);
            }
        }

        return partition with { Replicas = [.. replicas], TargetReplicas = target, PartitionEpoch = partition.PartitionEpoch + 1 };
    }

    /// <summary>The second step, once every target replica is in sync; the same instance while some are not yet.</summary>
    public static PartitionDescription TryComplete(PartitionDescription partition, out int[] removed)
    {
        removed = [];
        int[]? target = partition.TargetReplicas;
        if (target is null)
        {
            return partition;
        }

        foreach (int replica in target)
        {
            if (Array.IndexOf(partition.Isr, replica) < 0)
            {
                return partition;
            }
        }

        var isr = new List<int>(target.Length);
        foreach (int member in partition.Isr)
        {
            if (Array.IndexOf(target, member) >= 0)
            {
                isr.Add(member);
            }
        }

        var gone = new List<int>();
        foreach (int replica in partition.Replicas)
        {
            if (Array.IndexOf(target, replica) < 0)
            {
                gone.Add(replica);
            }
        }

        removed = [.. gone];
        bool leaderStays = Array.IndexOf(target, partition.Leader) >= 0;
        return partition with
        {
            Replicas = target,
            TargetReplicas = null,
            Isr = [.. isr],
            Leader = leaderStays ? partition.Leader : target[0],
            LeaderEpoch = leaderStays ? partition.LeaderEpoch : partition.LeaderEpoch + 1,
            PartitionEpoch = partition.PartitionEpoch + 1,
        };
    }
}
