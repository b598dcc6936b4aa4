namespace Orleans.Stream.Client.Groups.Assignors;

/// <summary>
/// Kafka's range assignor: per topic, the subscribers (sorted by member id) get consecutive ranges of partitions,
/// the first ones one more when the count does not divide evenly. Co-partitioned topics land together.
/// </summary>
internal sealed class RangeAssignor : IPartitionAssignor
{
    public const string ProtocolName = "range";

    public string Name => ProtocolName;

    public bool IsCooperative => false;

    public Dictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<AssignorMember> members)
    {
        Dictionary<string, List<TopicPartition>> result = PartitionAssignors.Empty(members);
        foreach ((string topic, int partitions) in partitionsPerTopic)
        {
            List<string> subscribers = PartitionAssignors.SubscribersOf(topic, members);
            if (subscribers.Count == 0)
            {
                continue;
            }

            int each = partitions / subscribers.Count;
            int extra = partitions % subscribers.Count;
            int next = 0;
            for (int i = 0; i < subscribers.Count; i++)
            {
                int count = each + (i < extra ? 1 : 0);
                for (int p = next; p < next + count; p++)
                {
                    result[subscribers[i]].Add(new TopicPartition(topic, p));
                }

                next += count;
            }
        }

        return result;
    }
}
