using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.Stream.Broker.Brokers;
using Orleans.Stream.Broker.Partitions;
using Orleans.Stream.Broker.Replication;

namespace Orleans.Stream.Broker.Placement;

/// <summary>
/// Decides placement from metadata alone, so it gives the same answer on every silo: a partition grain goes to the
/// silo of its partition's leader broker (asked of the controller), a replica grain or a broker grain to the silo of
/// the broker its key names. When that broker is not alive the activation fails with a retriable error instead of landing elsewhere,
/// where it would find (or worse, create) no log.
/// </summary>
internal sealed class BrokerPlacementDirector(BrokerDirectory brokers, IGrainFactory grains) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        GrainId grain = target.GrainIdentity;
        int brokerId;
        if (grain.Type == PartitionGrain.GrainTypeName)
        {
            var partition = TopicPartition.Parse(grain.Key.ToString()!);
            brokerId = await LeaderOf(partition).ConfigureAwait(false);
        }
        else if (grain.Type == ReplicaGrain.GrainTypeName)
        {
            brokerId = ReplicaKey.Parse(grain.Key.ToString()!).BrokerId;
        }
        else if (grain.Type == BrokerGrain.GrainTypeName)
        {
            brokerId = checked((int)grain.GetIntegerKey());
        }
        else
        {
            throw new InvalidOperationException($"{nameof(BrokerPlacement)} does not know how to place grain {grain}.");
        }

        return brokers.FindSilo(brokerId) ?? throw new OrleansStreamException(
            ErrorCode.LeaderNotAvailable, $"Broker {brokerId}, which owns {grain.Key}, is not alive.");
    }

    private async Task<int> LeaderOf(TopicPartition partition)
    {
        TopicDescription? topic = await grains.GetGrain<IControllerGrain>(0).DescribeTopic(partition.Topic).ConfigureAwait(false);
        if (topic is null || partition.Partition < 0 || partition.Partition >= topic.Partitions.Length)
        {
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Partition {partition} does not exist.");
        }

        return topic.Partitions[partition.Partition].Leader;
    }
}
