namespace Orleans.Stream;

/// <summary>
/// What the remote tier holds of a partition, as its leader last read the manifest: offsets
/// <see cref="LogStartOffset"/> to <see cref="EndOffset"/> (exclusive) in <see cref="SegmentCount"/> segments.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RemoteLogState(
    [property: Id(0)] long LogStartOffset,
    [property: Id(1)] long EndOffset,
    [property: Id(2)] long SizeInBytes,
    [property: Id(3)] int SegmentCount);
