namespace Orleans.Stream.Client;

/// <summary>One step of a rebalance plan: partition <paramref name="Partition"/>'s replicas go from <paramref name="From"/> to <paramref name="To"/> (preferred leader first).</summary>
public sealed record PartitionMove(TopicPartition Partition, int[] From, int[] To);
