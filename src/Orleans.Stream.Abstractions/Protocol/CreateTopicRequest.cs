namespace Orleans.Stream;

/// <summary>A new topic: its name, partition count, replication factor and Kafka-named configs.</summary>
[GenerateSerializer, Immutable]
public sealed record CreateTopicRequest(
    [property: Id(0)] string Name,
    [property: Id(1)] int Partitions,
    [property: Id(2)] short ReplicationFactor,
    [property: Id(3)] Dictionary<string, string> Configs);
