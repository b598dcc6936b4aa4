namespace Orleans.Stream;

/// <summary>
/// Where one partition lives: its replica brokers (the first is the preferred leader), the current leader and
/// its epoch, and the in-sync replicas. Brokers are named by their stable <c>Broker:Id</c>, never by silo address.
/// </summary>
/// <param name="Partition">The partition number.</param>
/// <param name="Leader">The leader broker, or <see cref="NoLeader"/> while no eligible replica is alive.</param>
/// <param name="LeaderEpoch">Bumped by the controller at every leader change; batches carry the epoch they were written in.</param>
/// <param name="Replicas">The brokers holding a replica, the preferred leader first.</param>
/// <param name="Isr">The in-sync replicas: those known to hold every record up to the high watermark, the leader among them.</param>
/// <param name="PartitionEpoch">Bumped at every change of this description (leader or ISR), so a stale update can be told from a newer one.</param>
/// <param name="TargetReplicas">
/// While a reassignment runs, the replicas it moves to (<see cref="Replicas"/> then holds old and new ones, so that
/// the new ones copy the log); null otherwise. It completes once every target replica is in sync.
/// </param>
[GenerateSerializer, Immutable]
public sealed record PartitionDescription(
    [property: Id(0)] int Partition,
    [property: Id(1)] int Leader,
    [property: Id(2)] int LeaderEpoch,
    [property: Id(3)] int[] Replicas,
    [property: Id(4)] int[] Isr,
    [property: Id(5)] int PartitionEpoch = 0,
    [property: Id(6)] int[]? TargetReplicas = null)
{
    /// <summary>Kafka's "no leader" (-1): every in-sync replica is down and unclean election is off.</summary>
    public const int NoLeader = -1;

    /// <summary>Fewer in-sync replicas than replicas.</summary>
    public bool IsUnderReplicated => Isr.Length < Replicas.Length;
}
