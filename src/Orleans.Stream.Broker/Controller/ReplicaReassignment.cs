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
}
