namespace Orleans.Stream.Broker.Tiering;

/// <summary>
/// The broker's tiering as of its last pass: local bytes of led, tiered partitions that are not remote yet, and the
/// partitions whose passes keep failing (the blob store is down, refuses, or holds something unexpected).
/// </summary>
internal sealed record TieringStatus(long BacklogBytes, IReadOnlyList<TieringFailure> Failing)
{
    public static readonly TieringStatus Idle = new(0, []);
}

/// <summary>A partition whose tiering failed <see cref="Failures"/> passes in a row, the last with <see cref="Error"/>.</summary>
internal sealed record TieringFailure(TopicPartition Partition, int Failures, string Error);
