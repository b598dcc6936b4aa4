namespace Orleans.Stream.Client.Groups.Assignors;

/// <summary>The assignors by name: <c>range</c>, <c>roundrobin</c>, <c>cooperative-sticky</c> (librdkafka's names).</summary>
internal static class PartitionAssignors
{
    public static IPartitionAssignor ByName(string name) => name.Trim() switch
    {
        RangeAssignor.ProtocolName => new RangeAssignor(),
        RoundRobinAssignor.ProtocolName => new RoundRobinAssignor(),
        CooperativeStickyAssignor.ProtocolName => new CooperativeStickyAssignor(),
        var unknown => throw new ArgumentException(
            $"Unknown partition.assignment.strategy '{unknown}': use {RangeAssignor.ProtocolName}, {RoundRobinAssignor.ProtocolName} or {CooperativeStickyAssignor.ProtocolName}."),
    };

    /// <summary>A member's assignors from a comma-separated list, in order of preference.</summary>
    public static IPartitionAssignor[] Parse(string strategy)
    {
        string[] names = strategy.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new ArgumentException("partition.assignment.strategy names no assignor.");
        }

        var assignors = new IPartitionAssignor[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            assignors[i] = ByName(names[i]);
        }

        return assignors;
    }

    /// <summary>An empty assignment for every member: what each assignor starts from.</summary>
    internal static Dictionary<string, List<TopicPartition>> Empty(IReadOnlyList<AssignorMember> members)
    {
        var result = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        foreach (AssignorMember member in members)
        {
            result[member.MemberId] = [];
        }

        return result;
    }

    /// <summary>The members subscribed to <paramref name="topic"/>, by member id.</summary>
    internal static List<string> SubscribersOf(string topic, IReadOnlyList<AssignorMember> members)
    {
        var subscribers = new List<string>();
        foreach (AssignorMember member in members)
        {
            if (Subscribes(member, topic))
            {
                subscribers.Add(member.MemberId);
            }
        }

        subscribers.Sort(StringComparer.Ordinal);
        return subscribers;
    }

    internal static bool Subscribes(AssignorMember member, string topic)
    {
        foreach (string subscribed in member.Subscription.Topics)
        {
            if (subscribed == topic)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every partition of the topics, sorted by topic, then partition.</summary>
    internal static List<TopicPartition> AllPartitions(IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var topics = new List<string>(partitionsPerTopic.Keys);
        topics.Sort(StringComparer.Ordinal);
        var all = new List<TopicPartition>();
        foreach (string topic in topics)
        {
            for (int p = 0; p < partitionsPerTopic[topic]; p++)
            {
                all.Add(new TopicPartition(topic, p));
            }
        }

        return all;
    }
}
