namespace Orleans.Stream.Broker.Groups;

/// <summary>Where a group is in its rebalance cycle (Kafka's group states, by the same names).</summary>
internal enum GroupPhase
{
    /// <summary>No members; committed offsets may still be there.</summary>
    Empty,

    /// <summary>A rebalance started: waiting for every member to (re)join, or for the rebalance timeout.</summary>
    PreparingRebalance,

    /// <summary>A new generation was announced: waiting for the leader's assignment.</summary>
    CompletingRebalance,

    /// <summary>Every member has its assignment for the current generation.</summary>
    Stable,
}
