namespace Orleans.Stream;

/// <summary>A protocol (assignor) a member supports, with its member metadata for that protocol (Kafka's subscription bytes).</summary>
[GenerateSerializer, Immutable]
public sealed record GroupProtocol([property: Id(0)] string Name, [property: Id(1)] byte[] Metadata);

/// <summary>
/// Kafka's JoinGroup. <see cref="ProtocolType"/> is <c>consumer</c> for consumers; <see cref="Protocols"/> are in
/// the member's order of preference. Timeouts in milliseconds: the session timeout bounds the gap between
/// heartbeats, the rebalance timeout how long the coordinator waits for members to rejoin.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JoinGroupRequest(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] string ProtocolType,
    [property: Id(3)] GroupProtocol[] Protocols,
    [property: Id(4)] int SessionTimeoutMs,
    [property: Id(5)] int RebalanceTimeoutMs);

/// <summary>A member and its metadata for the chosen protocol: what the leader assigns from.</summary>
[GenerateSerializer, Immutable]
public sealed record GroupMemberMetadata([property: Id(0)] string MemberId, [property: Id(1)] byte[] Metadata);

/// <summary>
/// The outcome of a join: the new generation, the chosen protocol, the leader, this member's id, and (for the leader
/// only) every member with its metadata.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JoinGroupResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] int GenerationId,
    [property: Id(2)] string? ProtocolName,
    [property: Id(3)] string LeaderId,
    [property: Id(4)] string MemberId,
    [property: Id(5)] GroupMemberMetadata[] Members,
    [property: Id(6)] string? ErrorMessage = null)
{
    public bool IsLeader => Error == ErrorCode.None && MemberId == LeaderId;

    public static JoinGroupResponse Failed(ErrorCode error, string memberId, string message) => new(error, -1, null, "", memberId, [], message);
}

/// <summary>One member's assignment (Kafka's consumer protocol assignment bytes).</summary>
[GenerateSerializer, Immutable]
public sealed record GroupAssignment([property: Id(0)] string MemberId, [property: Id(1)] byte[] Assignment);

/// <summary>Kafka's SyncGroup: the leader sends every member's assignment; the others send none.</summary>
[GenerateSerializer, Immutable]
public sealed record SyncGroupRequest(
    [property: Id(0)] string MemberId,
    [property: Id(1)] int GenerationId,
    [property: Id(2)] GroupAssignment[] Assignments);

[GenerateSerializer, Immutable]
public sealed record SyncGroupResponse([property: Id(0)] ErrorCode Error, [property: Id(1)] byte[] Assignment, [property: Id(2)] string? ErrorMessage = null);

/// <summary>A committed offset: the next record the group will read from the partition, with optional metadata; -1 when none.</summary>
[GenerateSerializer, Immutable]
public readonly record struct CommittedOffset(
    [property: Id(0)] TopicPartition TopicPartition,
    [property: Id(1)] long Offset,
    [property: Id(2)] string? Metadata = null);

/// <summary>Kafka's OffsetCommit, for one group.</summary>
[GenerateSerializer, Immutable]
public sealed record OffsetCommitRequest(
    [property: Id(0)] string MemberId,
    [property: Id(1)] int GenerationId,
    [property: Id(2)] CommittedOffset[] Offsets);

/// <summary>A member as <c>ostream group describe</c> shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record GroupMemberDescription(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] byte[] Metadata,
    [property: Id(3)] byte[] Assignment);

/// <summary>
/// A group: its state (<c>Empty</c>, <c>PreparingRebalance</c>, <c>CompletingRebalance</c>, <c>Stable</c>), generation,
/// protocol type and chosen protocol, leader, members and committed offsets.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupDescription(
    [property: Id(0)] string GroupId,
    [property: Id(1)] string State,
    [property: Id(2)] int GenerationId,
    [property: Id(3)] string? ProtocolType,
    [property: Id(4)] string? Protocol,
    [property: Id(5)] string? LeaderId,
    [property: Id(6)] GroupMemberDescription[] Members,
    [property: Id(7)] CommittedOffset[] Offsets);
