using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Logs;

/// <summary>One partition replica on this broker: its open log and the topic incarnation it belongs to.</summary>
internal sealed class LocalPartition(TopicPartition topicPartition, Guid topicId, PartitionLog log)
{
    private volatile bool _deleted;

    public TopicPartition TopicPartition { get; } = topicPartition;

    /// <summary>The id of the topic this log was created for; a re-created topic of the same name has another.</summary>
    public Guid TopicId { get; } = topicId;

    public PartitionLog Log { get; } = log;

    /// <summary>Set once the topic is deleted: the log is closed and its files are gone.</summary>
    public bool IsDeleted => _deleted;

    internal void MarkDeleted() => _deleted = true;

    public PartitionState Describe(int brokerId)
    {
        PartitionLog log = Log;
        return new PartitionState(TopicPartition, brokerId, log.LogStartOffset, log.LogEndOffset, log.HighWatermark, log.SizeInBytes, log.Segments.Count);
    }
}
