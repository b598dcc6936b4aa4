namespace Orleans.Stream;

/// <summary>The offsets a produce request's records got, or why they got none (nothing was appended then).</summary>
[GenerateSerializer, Immutable]
public readonly record struct ProduceResponse(
    [property: Id(0)] ErrorCode Error,
    [property: Id(1)] long BaseOffset,
    [property: Id(2)] long LastOffset,
    [property: Id(3)] long LogStartOffset,
    [property: Id(4)] string? ErrorMessage)
{
    public static ProduceResponse Failed(ErrorCode error, string message) => new(error, -1, -1, -1, message);
}
