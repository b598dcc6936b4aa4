namespace Orleans.Stream.Cli.Commands;

/// <summary>One partition's placement as <c>topic describe</c> and <c>cluster describe</c> print it (kafka-topics' columns).</summary>
internal static class PartitionLine
{
    public static string Format(PartitionDescription partition, IReadOnlySet<int>? aliveBrokers = null)
    {
        string line = $"\tPartition: {partition.Partition}\tLeader: {(partition.Leader == PartitionDescription.NoLeader ? "none" : partition.Leader)}" +
            $"\tLeaderEpoch: {partition.LeaderEpoch}\tReplicas: {string.Join(",", partition.Replicas)}\tIsr: {string.Join(",", partition.Isr)}";
        if (partition.TargetReplicas is { } target)
        {
            line += $"\tMovingTo: {string.Join(",", target)}";
        }

        if (partition.IsUnderReplicated)
        {
            line += "\t(under-replicated)";
        }

        if (partition.Leader == PartitionDescription.NoLeader || (aliveBrokers is not null && !aliveBrokers.Contains(partition.Leader)))
        {
            line += "\t(offline: no live leader)";
        }

        return line;
    }
}
