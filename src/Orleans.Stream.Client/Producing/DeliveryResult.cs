namespace Orleans.Stream.Client;

/// <summary>Where a produced record landed: its partition and offset (-1 with <c>acks=0</c>, which learns no offsets).</summary>
public readonly record struct DeliveryResult(string Topic, int Partition, long Offset, long Timestamp)
{
    public TopicPartition TopicPartition => new(Topic, Partition);
}
