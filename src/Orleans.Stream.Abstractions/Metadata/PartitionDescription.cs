namespace Orleans.Stream;

/// <summary>
/// Where one partition lives: its replica brokers (the first is the preferred leader), the current leader and
/// its epoch, and the in-sync replicas. Brokers are named by their stable <c>Broker:Id</c>, never by silo address.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PartitionDescription(
    [property: Id(0)] int Partition,
    [property: Id(1)] int Leader,
    [property: Id(2)] int LeaderEpoch,
    [property: Id(3)] int[] Replicas,
    [property: Id(4)] int[] Isr);
