namespace Orleans.Stream;

/// <summary>
/// One or more whole RecordBatch v2 batches for one partition. The broker stamps the base offset and leader epoch
/// into these bytes in place (both lie outside the CRC), so a sender must not reuse the buffer for other data
/// until the call completes; resending it on retry is fine. The receiving grain releases the payload.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct ProduceRequest(
    [property: Id(0)] BatchPayload Batches,
    [property: Id(1)] Acks Acks);
