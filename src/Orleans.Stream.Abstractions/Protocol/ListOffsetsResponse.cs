namespace Orleans.Stream;

/// <summary>
/// The answer to a ListOffsets query: the offset, and for a timestamp query the timestamp of the record found.
/// Offset -1 means no record has a timestamp at or after the one asked for.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct ListOffsetsResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] long Offset,
    [property: Id(2)] long Timestamp,
    [property: Id(3)] string? ErrorMessage);
