using Orleans.Stream.Storage;

namespace Orleans.Stream.Client;

/// <summary>
/// One consumed record. Key, value and header values are slices of the fetched bytes (no copy per record); null
/// where the record has null.
/// </summary>
public sealed class ConsumeResult
{
    internal ConsumeResult(string topic, int partition, long offset, long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, RecordHeader[] headers)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        Value = value;
        Headers = headers;
    }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch.</summary>
    public long Timestamp { get; }

    public ReadOnlyMemory<byte>? Key { get; }

    public ReadOnlyMemory<byte>? Value { get; }

    public IReadOnlyList<RecordHeader> Headers { get; }

    public TopicPartition TopicPartition => new(Topic, Partition);
}
