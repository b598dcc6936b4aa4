namespace Orleans.Stream.Storage;

/// <summary>
/// A batch continuing the sequence of a producer the log has no state for (its batches expired or were deleted).
/// Nothing was appended; the producer starts a new sequence.
/// </summary>
public sealed class UnknownProducerIdException : LogException
{
    public UnknownProducerIdException(long producerId, int firstSequence)
        : base($"Producer {producerId} sent sequence {firstSequence}, but this log holds no state for it; a new producer starts at sequence 0.")
    {
    }

    /// <summary>Kafka UNKNOWN_PRODUCER_ID.</summary>
    public override short KafkaErrorCode => 59;
}
