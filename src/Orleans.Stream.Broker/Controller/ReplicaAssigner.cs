namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// Spreads a new topic's partitions over the live brokers: leaders round-robin, starting from the broker that leads
/// the fewest partitions so far, so topic after topic the load stays even; each further replica goes to the next
/// broker in the ring, so a partition's replicas are always on distinct brokers.
/// </summary>
internal static class ReplicaAssigner
{
    public static PartitionDescription[] Assign(int partitions, int replicationFactor, IReadOnlyList<int> liveBrokers, IEnumerable<TopicDescription> existing)
    {
        if (liveBrokers.Count == 0)
        {
            throw new OrleansStreamException(ErrorCode.LeaderNotAvailable, "No broker is alive to place partitions on.");
        }

        var leaderCounts = new Dictionary<int, int>();
        foreach (int broker in liveBrokers)
        {
            leaderCounts[broker] = 0;
        }

        foreach (TopicDescription topic in existing)
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                if (leaderCounts.TryGetValue(partition.Leader, out int count))
                {
                    leaderCounts[partition.Leader] = count + 1;
                }
            }
        }

        var ring = new List<int>(liveBrokers);
        ring.Sort();
        int start = 0;
        for (int i = 1; i < ring.Count; i++)
        {
            if (leaderCounts[ring[i]] < leaderCounts[ring[start]])
            {
                start = i;
            }
        }

        var assignment = new PartitionDescription[partitions];
        for (int p = 0; p < partitions; p++)
        {
            var replicas = new int[replicationFactor];
            for (int r = 0; r < replicationFactor; r++)
            {
                replicas[r] = ring[(start + p + r) % ring.Count];
            }

            assignment[p] = new PartitionDescription(p, replicas[0], LeaderEpoch: 0, replicas, Isr: (int[])replicas.Clone());
        }

        return assignment;
    }
}
