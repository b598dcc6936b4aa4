namespace Orleans.Stream.Storage;

/// <summary>
/// The answer to Kafka's OffsetsForLeaderEpoch: the newest leader epoch at or below the one asked about, and the
/// offset just past its last record (the next epoch's first offset, or the log end). (-1, -1) when there is none.
/// </summary>
public readonly record struct EpochEndOffset(int Epoch, long EndOffset)
{
    public static EpochEndOffset Undefined { get; } = new(-1, -1);
}
