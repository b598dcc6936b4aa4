namespace Orleans.Stream.Storage;

/// <summary>
/// Bytes that are not a valid record batch: wrong magic, CRC mismatch, impossible lengths.
/// Raised for bad input on append (the log is unchanged) and for damaged data on read (never served).
/// </summary>
public sealed class CorruptRecordException : LogException
{
    public CorruptRecordException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Kafka CORRUPT_MESSAGE.</summary>
    public override short KafkaErrorCode => 2;
}
