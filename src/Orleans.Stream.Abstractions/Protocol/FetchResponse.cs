namespace Orleans.Stream;

/// <summary>
/// Whole batches from the log, exactly as stored (the first may start before the requested offset: skip records
/// below it), and the partition's offsets at the time of the read. The broker sends the log's pooled read buffer
/// (leased: released once written to the wire); the receiver owns <see cref="Batches"/> and may release it.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct FetchResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] BatchPayload Batches,
    [property: Id(2)] long HighWatermark,
    [property: Id(3)] long LogStartOffset,
    [property: Id(4)] long LogEndOffset,
    [property: Id(5)] string? ErrorMessage)
{
    public static FetchResponse Failed(ErrorCode error, string message, long logStartOffset = -1, long highWatermark = -1) =>
        new(error, default, highWatermark, logStartOffset, -1, message);
}
