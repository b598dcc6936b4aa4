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

    public const int MaxDeletedTopicIds = 10_000;
}
