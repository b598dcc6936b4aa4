namespace Orleans.Stream.Client;

/// <summary>
/// Plans the replica moves that even out the live brokers after one joins (Kafka's
/// <c>kafka-reassign-partitions --generate</c>, with the fewest moves instead of a fresh layout): while the most
/// loaded live broker holds two or more replicas more than the least loaded, one replica moves from the first to the
/// second, into the same place in the partition's replica list. When the loaded broker also leads two or more
/// partitions more than the other, one it leads (from the first place) is picked: the reassignment then hands
/// leadership to the replica now first in the list, the other broker, so leaders spread too. Replicas on brokers that are down stay where they are (that is
/// <c>Broker:ReassignDeadBrokerReplicasAfter</c>'s job), and partitions already being moved are left alone.
/// </summary>
internal static class RebalancePlanner
{
    public static IReadOnlyList<PartitionMove> Plan(ClusterDescription cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var replicaCounts = new SortedDictionary<int, int>();
        var leaderCounts = new Dictionary<int, int>();
        foreach (BrokerDescription broker in cluster.Brokers)
        {
            if (broker.IsAlive)
            {
                replicaCounts[broker.Id] = 0;
                leaderCounts[broker.Id] = 0;
            }
        }

        // Working copies of every movable partition, in a fixed order (topic name, partition) so plans are repeatable.
        var partitions = new List<Working>();
        foreach (TopicDescription topic in cluster.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                foreach (int replica in partition.Replicas)
                {
                    if (replicaCounts.TryGetValue(replica, out int count))
                    {
                        replicaCounts[replica] = count + 1;
                    }
                }

                if (leaderCounts.TryGetValue(partition.Leader, out int leads))
                {
                    leaderCounts[partition.Leader] = leads + 1;
                }

                if (partition.TargetReplicas is null)
                {
                    partitions.Add(new Working(new TopicPartition(topic.Name, partition.Partition), partition.Replicas, (int[])partition.Replicas.Clone(), partition.Leader));
                }
            }
        }

        if (replicaCounts.Count < 2)
        {
            return [];
        }

        while (true)
        {
            (int from, int to) = MostAndLeastLoaded(replicaCounts);
            if (replicaCounts[from] - replicaCounts[to] < 2 || Pick(partitions, from, to, leaderCounts[from] > leaderCounts[to] + 1) is not { } move)
            {
                break;
            }

            int place = Array.IndexOf(move.Replicas, from);
            move.Replicas[place] = to;
            replicaCounts[from]--;
            replicaCounts[to]++;
            if (move.Leader == from)
            {
                // The reassignment hands leadership to the first target replica when the leader leaves.
                move.Leader = move.Replicas[0];
                leaderCounts[from]--;
                leaderCounts[move.Leader] = leaderCounts.GetValueOrDefault(move.Leader) + 1;
            }
        }

        var moves = new List<PartitionMove>();
        foreach (Working partition in partitions)
        {
            if (!partition.Replicas.AsSpan().SequenceEqual(partition.Original))
            {
                moves.Add(new PartitionMove(partition.Partition, partition.Original, partition.Replicas));
            }
        }

        return moves;
    }

    private static (int From, int To) MostAndLeastLoaded(SortedDictionary<int, int> replicaCounts)
    {
        int from = -1, to = -1;
        foreach ((int broker, int count) in replicaCounts)
        {
            if (from < 0 || count > replicaCounts[from])
            {
                from = broker;
            }

            if (to < 0 || count < replicaCounts[to])
            {
                to = broker;
            }
        }

        return (from, to);
    }

    /// <summary>
    /// A partition with a replica on <paramref name="from"/> and none on <paramref name="to"/>. With
    /// <paramref name="moveLeader"/>, preferably one that <paramref name="from"/> leads from the first place (its
    /// leadership then goes to <paramref name="to"/>); without, preferably one it does not lead.
    /// </summary>
    private static Working? Pick(List<Working> partitions, int from, int to, bool moveLeader)
    {
        Working? fallback = null;
        foreach (Working partition in partitions)
        {
            if (Array.IndexOf(partition.Replicas, from) < 0 || Array.IndexOf(partition.Replicas, to) >= 0)
            {
                continue;
            }

            bool handsOver = partition.Leader == from && partition.Replicas[0] == from;
            if (moveLeader ? handsOver : partition.Leader != from)
            {
                return partition;
            }

            fallback ??= partition;
        }

        return fallback;
    }

    private sealed class Working(TopicPartition partition, int[] original, int[] replicas, int leader)
    {
        public TopicPartition Partition { get; } = partition;

        public int[] Original { get; } = original;

        public int[] Replicas { get; } = replicas;

        public int Leader { get; set; } = leader;
    }
}
