namespace Orleans.Stream.Client.Groups.Assignors;

/// <summary>
/// Kafka's cooperative-sticky assignor: as balanced as the subscriptions allow, while moving as few partitions as
/// possible. Every member keeps what it owns (a partition two members claim goes to the one that owned it in the
/// newer generation); partitions nobody owns go to the least-loaded subscriber; then partitions move one at a time
/// from the most to the least loaded member until no two subscribers of a topic differ by more than one. Finally,
/// the cooperative rule: a partition that changes owner is left out of this assignment, so its old owner revokes
/// it and rejoins, and the next rebalance gives it to the new one: no partition ever has two owners.
/// </summary>
internal sealed class CooperativeStickyAssignor : IPartitionAssignor
{
    public const string ProtocolName = "cooperative-sticky";

    public string Name => ProtocolName;

    public bool IsCooperative => true;

    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<AssignorMember> members)
    {
        var sorted = new List<AssignorMember>(members);
        sorted.Sort((a, b) => string.CompareOrdinal(a.MemberId, b.MemberId));
        var byId = new Dictionary<string, AssignorMember>(StringComparer.Ordinal);
        foreach (AssignorMember member in sorted)
        {
            byId[member.MemberId] = member;
        }

        Dictionary<TopicPartition, string> previousOwner = PreviousOwners(partitionsPerTopic, sorted);
        Dictionary<string, List<TopicPartition>> result = PartitionAssignors.Empty(sorted);
        foreach ((TopicPartition partition, string owner) in previousOwner)
        {
            result[owner].Add(partition);
        }

        foreach (TopicPartition partition in PartitionAssignors.AllPartitions(partitionsPerTopic))
        {
            if (!previousOwner.ContainsKey(partition) && LeastLoaded(partition.Topic, sorted, result) is { } member)
            {
                result[member].Add(partition);
            }
        }

        Balance(sorted, result);

        // Cooperative: what changes hands is only revoked now; it is assigned in the follow-up rebalance.
        foreach ((string memberId, List<TopicPartition> partitions) in result)
        {
            partitions.RemoveAll(p => previousOwner.TryGetValue(p, out string? owner) && owner != memberId);
            partitions.Sort((a, b) => a.Topic == b.Topic ? a.Partition.CompareTo(b.Partition) : string.CompareOrdinal(a.Topic, b.Topic));
        }

        return result;
    }

    /// <summary>Who owns each partition now: claims of still-existing, still-subscribed partitions; the newest generation wins a conflict.</summary>
    private static Dictionary<TopicPartition, string> PreviousOwners(IReadOnlyDictionary<string, int> partitionsPerTopic, List<AssignorMember> members)
    {
        var owners = new Dictionary<TopicPartition, (string Member, int Generation)>();
        var contested = new HashSet<TopicPartition>();
        foreach (AssignorMember member in members)
        {
            foreach (TopicPartition partition in member.Subscription.OwnedPartitions)
            {
                bool valid = partitionsPerTopic.TryGetValue(partition.Topic, out int count) && partition.Partition < count &&
                             PartitionAssignors.Subscribes(member, partition.Topic);
                if (!valid)
                {
                    continue;
                }

                int generation = member.Subscription.GenerationId;
                if (!owners.TryGetValue(partition, out (string Member, int Generation) current) || generation > current.Generation)
                {
                    owners[partition] = (member.MemberId, generation);
                    contested.Remove(partition);
                }
                else if (generation == current.Generation)
                {
                    contested.Add(partition);
                }
            }
        }

        var result = new Dictionary<TopicPartition, string>();
        foreach ((TopicPartition partition, (string member, _)) in owners)
        {
            if (!contested.Contains(partition))
            {
                result[partition] = member;
            }
        }

        return result;
    }

    private static string? LeastLoaded(string topic, List<AssignorMember> members, Dictionary<string, List<TopicPartition>> result)
    {
        string? best = null;
        foreach (AssignorMember member in members)
        {
            if (PartitionAssignors.Subscribes(member, topic) && (best is null || result[member.MemberId].Count < result[best].Count))
            {
                best = member.MemberId;
            }
        }

        return best;
    }

    /// <summary>Moves one partition at a time from a most-loaded member to a least-loaded one that may take it, until none can.</summary>
    private static void Balance(List<AssignorMember> members, Dictionary<string, List<TopicPartition>> result)
    {
        int limit = 0;
        foreach (List<TopicPartition> partitions in result.Values)
        {
            limit += partitions.Count;
        }

        limit = (limit + 1) * Math.Max(1, members.Count); // each move shrinks the imbalance; this only bounds a bug
        for (int moves = 0; moves < limit; moves++)
        {
            bool moved = false;
            var byLoad = new List<AssignorMember>(members);
            byLoad.Sort((a, b) => result[b.MemberId].Count != result[a.MemberId].Count
                ? result[b.MemberId].Count.CompareTo(result[a.MemberId].Count)
                : string.CompareOrdinal(a.MemberId, b.MemberId));
            for (int i = 0; i < byLoad.Count && !moved; i++)
            {
                List<TopicPartition> from = result[byLoad[i].MemberId];
                for (int j = byLoad.Count - 1; j > i && !moved; j--)
                {
                    List<TopicPartition> to = result[byLoad[j].MemberId];
                    if (from.Count <= to.Count + 1)
                    {
                        continue;
                    }

                    for (int k = from.Count - 1; k >= 0; k--)
                    {
                        if (PartitionAssignors.Subscribes(byLoad[j], from[k].Topic))
                        {
                            to.Add(from[k]);
                            from.RemoveAt(k);
                            moved = true;
                            break;
                        }
                    }
                }
            }

            if (!moved)
            {
                return;
            }
        }
    }
}
