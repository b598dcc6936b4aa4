namespace Orleans.Stream;

/// <summary>
/// One partition replica's log as its broker sees it. From the leader, also the in-sync replicas as it knows them
/// (the controller has the authoritative list; the leader learns of changes it did not make a moment later).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PartitionState(
    [property: Id(0)] TopicPartition TopicPartition,
    [property: Id(1)] int BrokerId,
    [property: Id(2)] long LogStartOffset,
    [property: Id(3)] long LogEndOffset,
    [property: Id(4)] long HighWatermark,
    [property: Id(5)] long SizeInBytes,
    [property: Id(6)] int SegmentCount,
    [property: Id(7)] int[]? Isr = null,
    [property: Id(8)] RemoteLogState? Remote = null);

