namespace Orleans.Stream.Client.Groups.Assignors;

/// <summary>A member as the group leader's assignor sees it.</summary>
internal sealed record AssignorMember(string MemberId, Subscription Subscription);

/// <summary>
/// Computes the group's assignment on the leader (Kafka's client-side assignors; the name is the protocol name in
/// JoinGroup and matches librdkafka's <c>partition.assignment.strategy</c> values). Deterministic: the same input
/// gives the same assignment.
/// </summary>
internal interface IPartitionAssignor
{
    string Name { get; }

    /// <summary>
    /// Incremental cooperative rebalancing (KIP-429): members keep consuming what they keep, and a partition moves in
    /// two rebalances (revoked by its owner in the first, assigned in the second) instead of everything stopping.
    /// </summary>
    bool IsCooperative { get; }

    /// <summary>Every member's partitions. <paramref name="partitionsPerTopic"/> holds the subscribed topics that exist.</summary>
    Dictionary<string, List<TopicPartition>> Assign(IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<AssignorMember> members);
}
