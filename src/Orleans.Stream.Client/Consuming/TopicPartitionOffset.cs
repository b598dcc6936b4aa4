namespace Orleans.Stream.Client;

/// <summary>
/// A partition and where to start reading it: an offset, <see cref="OffsetSpec.Earliest"/>,
/// <see cref="OffsetSpec.Latest"/>, or <see cref="Unset"/> (use <c>auto.offset.reset</c>).
/// </summary>
public readonly record struct TopicPartitionOffset(TopicPartition TopicPartition, long Offset)
{
    /// <summary>No starting offset: the consumer applies its <see cref="ConsumerOptions.AutoOffsetReset"/>.</summary>
    public const long Unset = -1001;

    public TopicPartitionOffset(string topic, int partition, long offset) : this(new TopicPartition(topic, partition), offset) { }
}
