namespace Orleans.Stream;

/// <summary>
/// The coordinator of one consumer group (key: the group id), speaking Kafka's classic group protocol: members join,
/// the coordinator picks a leader and a protocol (assignor) every member supports and starts a new generation, the
/// leader computes the assignment and hands it in with SyncGroup, and every member gets its share from SyncGroup.
/// Heartbeats keep a member in the group and tell it when a rebalance starts; a member that misses its session
/// timeout is removed. Committed offsets are kept here too. The member metadata and assignments are opaque bytes
/// (Kafka's consumer protocol, encoded by the clients), so Kafka clients and grain clients can share a group.
/// State and offsets are persisted, so the group survives the loss of the silo that hosts it.
/// </summary>
public interface IGroupCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Joins (or rejoins) the group and waits for the rebalance to complete. A member without an id gets one. The wait
    /// is capped well below the grain call timeout: the answer may be RebalanceInProgress, and the member then simply
    /// joins again (its place in the round is kept).
    /// </summary>
    Task<JoinGroupResponse> JoinGroup(JoinGroupRequest request);

    /// <summary>
    /// Completes a join: the leader hands in every member's assignment; each member (leader included) gets its own.
    /// RebalanceInProgress means join again.
    /// </summary>
    Task<SyncGroupResponse> SyncGroup(SyncGroupRequest request);

    /// <summary>None, or RebalanceInProgress (join again), UnknownMemberId or IllegalGeneration (the member was removed: join afresh).</summary>
    Task<ErrorCode> Heartbeat(string memberId, int generationId);

    /// <summary>Leaves the group at once (a rebalance starts for the others) instead of waiting out the session timeout.</summary>
    Task<ErrorCode> LeaveGroup(string memberId);

    /// <summary>
    /// Commits offsets. A member commits with its generation (refused with IllegalGeneration or UnknownMemberId when
    /// that is stale, RebalanceInProgress while assignments are being handed out); a client outside any generation
    /// (generation -1, no member id) may commit only while the group has no members.
    /// </summary>
    Task<ErrorCode> CommitOffsets(OffsetCommitRequest request);

    /// <summary>The committed offsets of these partitions (all the group has when null); -1 where there is none.</summary>
    Task<CommittedOffset[]> FetchOffsets(TopicPartition[]? partitions);

    /// <summary>State, generation, protocol, members with their metadata and assignments, and committed offsets.</summary>
    Task<GroupDescription> Describe();
}
