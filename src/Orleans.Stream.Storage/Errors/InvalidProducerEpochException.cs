namespace Orleans.Stream.Storage;

/// <summary>A batch from an epoch older than the producer id's current one: a zombie producer was fenced. Nothing was appended.</summary>
public sealed class InvalidProducerEpochException : LogException
{
    public InvalidProducerEpochException(long producerId, short epoch)
        : base($"Producer {producerId} at epoch {epoch} has been fenced by a newer epoch.")
    {
    }

    /// <summary>Kafka INVALID_PRODUCER_EPOCH.</summary>
    public override short KafkaErrorCode => 47;
}
