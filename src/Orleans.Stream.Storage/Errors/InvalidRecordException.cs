namespace Orleans.Stream.Storage;

/// <summary>
/// A batch whose CRC is fine but whose contents break the rules (record count, offset deltas, timestamps,
/// unsupported attributes). The log is unchanged.
/// </summary>
public sealed class InvalidRecordException : LogException
{
    public InvalidRecordException(string message) : base(message) { }

    /// <summary>Kafka INVALID_RECORD.</summary>
    public override short KafkaErrorCode => 87;
}
