namespace Orleans.Stream.Tiering;

/// <summary>
/// One cached piece of a remote segment. The segment is named by its offsets and the CRC-32C of its log, not by its
/// blob name alone: a segment re-uploaded with other content (a re-created topic, a different leader's copy) never
/// matches an old entry. <see cref="Chunk"/> is the chunk number in the log, or <see cref="OffsetIndex"/> /
/// <see cref="TimeIndex"/> for the segment's indexes.
/// </summary>
internal readonly record struct RemoteChunkKey(TopicPartition Partition, long BaseOffset, long LastOffset, uint LogCrc32C, long Chunk)
{
    public const long OffsetIndex = -1;
    public const long TimeIndex = -2;

    public static RemoteChunkKey For(TopicPartition partition, RemoteSegment segment, long chunk) =>
        new(partition, segment.BaseOffset, segment.LastOffset, segment.LogCrc32C, chunk);
}
