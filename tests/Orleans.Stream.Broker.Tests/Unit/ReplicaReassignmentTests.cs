using Orleans.Stream.Broker.Controller;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class ReplicaReassignmentTests
{
    [Fact]
    public void The_new_replicas_join_the_old_ones_and_the_move_completes_only_once_every_new_one_is_in_sync()
    {
        var partition = new PartitionDescription(0, Leader: 0, LeaderEpoch: 2, Replicas: [0, 1], Isr: [0, 1], PartitionEpoch: 5);
        PartitionDescription begun = ReplicaReassignment.Begin(partition, [2, 1]);
        Assert.Equal([2, 1, 0], begun.Replicas);
        Assert.Equal([2, 1], begun.TargetReplicas);
        Assert.Equal([0, 1], begun.Isr);
        Assert.Equal(6, begun.PartitionEpoch);
        Assert.Same(begun, ReplicaReassignment.TryComplete(begun, out int[] none));
        Assert.Empty(none);

        PartitionDescription done = ReplicaReassignment.TryComplete(begun with { Isr = [0, 1, 2] }, out int[] removed);
        Assert.Equal([2, 1], done.Replicas);
        Assert.Null(done.TargetReplicas);
        Assert.Equal([1, 2], done.Isr);
        Assert.Equal([0], removed);
        Assert.Equal(2, done.Leader); // the old leader left: the first new replica leads, in a new epoch
        Assert.Equal(3, done.LeaderEpoch);
    }

    [Fact]
    public void A_leader_that_stays_keeps_its_epoch()
    {
        var partition = new PartitionDescription(0, Leader: 1, LeaderEpoch: 4, Replicas: [1, 0], Isr: [1, 0]);
        PartitionDescription done = ReplicaReassignment.TryComplete(ReplicaReassignment.Begin(partition, [1]), out int[] removed);
        Assert.Equal([1], done.Replicas);
        Assert.Equal([1], done.Isr);
        Assert.Equal(1, done.Leader);
        Assert.Equal(4, done.LeaderEpoch);
        Assert.Equal([0], removed);
    }

    [Fact]
    public void A_gone_brokers_place_goes_to_the_least_loaded_live_broker_without_a_replica_of_the_partition()
    {
        var counts = new Dictionary<int, int> { [0] = 5, [1] = 9, [2] = 4, [3] = 4 };
        int[]? moved = ReplicaReassignment.ReplaceGone([1, 0], gone: new HashSet<int> { 1 }, live: [0, 2, 3], counts);
        Assert.Equal([2, 0], moved); // 2 and 3 hold 4 each: the lower id; the surviving replica keeps its place
        Assert.Equal(5, counts[2]);
        Assert.Equal([3, 0], ReplicaReassignment.ReplaceGone([1, 0], new HashSet<int> { 1 }, [0, 2, 3], counts)); // 2 has more now

        Assert.Null(ReplicaReassignment.ReplaceGone([0, 2], new HashSet<int> { 1 }, [0, 2, 3], counts)); // nothing gone here
        Assert.Null(ReplicaReassignment.ReplaceGone([1, 0], new HashSet<int> { 1 }, [0], counts)); // nowhere to go
    }
}
