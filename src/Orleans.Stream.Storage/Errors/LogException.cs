namespace Orleans.Stream.Storage;

/// <summary>
/// Base of every error the log engine raises on bad input or bad data.
/// <see cref="KafkaErrorCode"/> is the matching Kafka protocol error code, so callers that speak Kafka can map it directly.
/// </summary>
public abstract class LogException : Exception
{
    private protected LogException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The Kafka protocol error code for this failure (e.g. 2 = CORRUPT_MESSAGE).</summary>
    public abstract short KafkaErrorCode { get; }
}
