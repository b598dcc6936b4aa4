namespace Orleans.Stream;

/// <summary>A topic as the controller knows it: identity, configuration and where each partition lives.</summary>
[GenerateSerializer, Immutable]
public sealed record TopicDescription(
    [property: Id(0)] string Name,
    [property: Id(1)] Guid TopicId,
    [property: Id(2)] PartitionDescription[] Partitions,
    [property: Id(3)] Dictionary<string, string> Configs)
{
    public int ReplicationFactor => Partitions.Length == 0 ? 0 : Partitions[0].Replicas.Length;
}
