namespace Orleans.Stream;

/// <summary>
/// One per broker, keyed by broker id and placed on that broker's silo: the controller's handle on a broker's
/// local logs.
/// </summary>
public interface IBrokerGrain : IGrainWithIntegerKey
{
    /// <summary>Closes and deletes every local partition log of the topic with this name and id.</summary>
    Task DeleteTopicData(string topic, Guid topicId);

    /// <summary>Closes and deletes this broker's replica of one partition (a reassignment moved it elsewhere).</summary>
    Task DeletePartitionData(TopicPartition partition, Guid topicId);

    /// <summary>Every partition log this broker holds.</summary>
    Task<PartitionState[]> DescribeLogs();
}
