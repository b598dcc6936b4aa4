namespace Orleans.Stream.Client.Groups.Assignors;

/// <summary>
/// Kafka's round-robin assignor: every partition of every subscribed topic (sorted), dealt in turn to the members
/// (sorted by id), skipping members not subscribed to the partition's topic.
/// </summary>
internal sealed class RoundRobinAssignor : IPartitionAssignor
{
    public const string ProtocolName = "roundrobin";

    public string Name => ProtocolName;

    public bool IsCooperative => false;

    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<AssignorMember> members)
    {
        Dictionary<string, List<TopicPartition>> result = PartitionAssignors.Empty(members);
        var sorted = new List<AssignorMember>(members);
        sorted.Sort((a, b) => string.CompareOrdinal(a.MemberId, b.MemberId));
        if (sorted.Count == 0)
        {
            return result;
        }

        int turn = 0;
        foreach (TopicPartition partition in PartitionAssignors.AllPartitions(partitionsPerTopic))
        {
            for (int tried = 0; tried < sorted.Count; tried++)
            {
                AssignorMember member = sorted[turn];
                turn = (turn + 1) % sorted.Count;
                if (PartitionAssignors.Subscribes(member, partition.Topic))
                {
                    result[member.MemberId].Add(partition);
                    break;
                }
            }
        }

        return result;
    }
}
