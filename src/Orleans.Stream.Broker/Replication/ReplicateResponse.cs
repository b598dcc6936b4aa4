namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// How far a follower's log goes: everything below <see cref="LogEndOffset"/> is written there (and fsynced, under
/// <c>flush.policy=group-commit</c>), which is what the leader's high watermark counts. On an error nothing was written.
/// </summary>
[GenerateSerializer, Immutable]
internal readonly record struct ReplicateResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] long LogEndOffset,
    [property: Id(2)] string? ErrorMessage)
{
    public static ReplicateResponse Failed(ErrorCode error, string message) => new(error, -1, message);
}
