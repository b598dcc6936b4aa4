namespace Orleans.Stream;

/// <summary>
/// Kafka's OffsetsForLeaderEpoch answer: the largest epoch in the leader's log at or below the one asked about, and
/// the offset where that epoch ends there (the start of the next epoch, or the log end). A follower truncates its
/// divergent tail to it before it replicates again (KIP-101); <see cref="Epoch"/> is -1 when the leader has no such epoch.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct OffsetForLeaderEpochResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] int Epoch,
    [property: Id(2)] long EndOffset,
    [property: Id(3)] string? ErrorMessage);
