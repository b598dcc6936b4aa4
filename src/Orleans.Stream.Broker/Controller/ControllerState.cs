namespace Orleans.Stream.Broker.Controller;

/// <summary>What the controller persists: every topic, and the ids of deleted topics brokers may still hold data of.</summary>
[GenerateSerializer]
internal sealed class ControllerState
{
    [Id(0)]
    public Dictionary<string, TopicDescription> Topics { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Most recent last; bounded by <see cref="MaxDeletedTopicIds"/>.</summary>
    [Id(1)]
    public List<Guid> DeletedTopicIds { get; set; } = [];

    /// <summary>
    /// Producer ids below this may have been handed out; ids are given out in blocks, and only the block's end is
    /// persisted, so a restarted controller skips the rest of a block rather than repeat an id.
    /// </summary>
    [Id(2)]
    public long ProducerIdBlockEnd { get; set; }

    public const int MaxDeletedTopicIds = 10_000;
}
