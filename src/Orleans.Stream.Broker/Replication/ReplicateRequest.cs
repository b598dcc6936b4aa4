namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// The leader's next whole batches for a follower, starting exactly at the follower's log end, with the leader's
/// high watermark (the follower keeps its own at the lower of that and its log end) and how far the remote tier reaches
/// (the follower may then delete local segments below it, past local retention). The follower releases the payload.
/// </summary>
[GenerateSerializer, Immutable]
internal readonly record struct ReplicateRequest(
    [property: Id(0)] int LeaderEpoch,
    [property: Id(1)] BatchPayload Batches,
    [property: Id(2)] long HighWatermark,
    [property: Id(3)] long TieredOffset);
