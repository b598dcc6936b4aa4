namespace Orleans.Stream.Storage;

/// <summary>A batch larger than the log's <c>max.message.bytes</c>. The log is unchanged.</summary>
public sealed class RecordTooLargeException : LogException
{
    public RecordTooLargeException(int batchBytes, int maxMessageBytes)
        : base($"Record batch of {batchBytes} bytes exceeds max.message.bytes={maxMessageBytes}.")
    {
        BatchBytes = batchBytes;
        MaxMessageBytes = maxMessageBytes;
    }

    public int BatchBytes { get; }

    public int MaxMessageBytes { get; }

    /// <summary>Kafka MESSAGE_TOO_LARGE.</summary>
    public override short KafkaErrorCode => 10;
}
