namespace Orleans.Stream.Storage;

/// <summary>
/// Arithmetic on an idempotent producer's sequence numbers, which count records per partition and wrap from
/// <see cref="int.MaxValue"/> to 0 (Kafka's <c>DefaultRecordBatch.incrementSequence</c>). The broker's checks and the
/// client's numbering use this one rule.
/// </summary>
public static class ProducerSequence
{
    /// <summary><paramref name="sequence"/> advanced by <paramref name="increment"/> (≥ 0), wrapping past <see cref="int.MaxValue"/> to 0.</summary>
    public static int Add(int sequence, int increment) =>
        sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;
}
