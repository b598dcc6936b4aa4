namespace Orleans.Stream.Storage;

/// <summary>
/// The log hit an I/O error it cannot reason about (disk full, device error) and stopped taking writes.
/// Reopening the log runs recovery, which truncates whatever the failed write left behind.
/// </summary>
public sealed class LogOfflineException : LogException
{
    public LogOfflineException(string directory, Exception inner)
        : base($"Log '{directory}' is offline after an I/O error: {inner.Message}", inner)
    {
    }

    /// <summary>Kafka KAFKA_STORAGE_ERROR.</summary>
    public override short KafkaErrorCode => 56;
}
