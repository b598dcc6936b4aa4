namespace Orleans.Stream;

/// <summary>The brokers, the topics and their partitions, as <c>ostream cluster describe</c> shows them.</summary>
[GenerateSerializer, Immutable]
public sealed record ClusterDescription(
    [property: Id(0)] BrokerDescription[] Brokers,
    [property: Id(1)] TopicDescription[] Topics);
