namespace Orleans.Stream;

/// <summary>
/// Read whole batches starting at the one holding <paramref name="Offset"/>, up to <paramref name="MaxBytes"/>
/// (at least one batch is returned even when it is larger, as in Kafka). With nothing to return, wait up to
/// <paramref name="MaxWaitMs"/> for new records (long poll).
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct FetchRequest(
    [property: Id(0)] long Offset,
    [property: Id(1)] int MaxBytes,
    [property: Id(2)] int MaxWaitMs);
