namespace Orleans.Stream.Storage;

/// <summary>
/// An idempotent producer's batch does not continue its sequence: a gap (an earlier batch failed or is still on its
/// way) or an old batch the log no longer remembers. Nothing was appended; the producer resends in order.
/// </summary>
public sealed class OutOfOrderSequenceException : LogException
{
    public OutOfOrderSequenceException(long producerId, int firstSequence, int expectedSequence)
        : base($"Producer {producerId} sent sequence {firstSequence}; the log expects {expectedSequence}.")
    {
        ExpectedSequence = expectedSequence;
    }

    public int ExpectedSequence { get; }

    /// <summary>Kafka OUT_OF_ORDER_SEQUENCE_NUMBER.</summary>
    public override short KafkaErrorCode => 45;
}
