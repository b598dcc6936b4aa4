using Orleans.Stream.Broker.Controller;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class LeaderElectionTests
{
    private static PartitionDescription Partition(int leader, int[] isr, int epoch = 3) =>
        new(0, leader, epoch, [0, 1, 2], isr, PartitionEpoch: 7);

    [Fact]
    public void Nothing_changes_while_every_isr_member_lives()
    {
        PartitionDescription partition = Partition(0, [0, 1]);
        Assert.Same(partition, LeaderElection.Reconcile(partition, new HashSet<int> { 0, 1 }, uncleanElection: false));
        Assert.Same(partition, LeaderElection.Reconcile(partition, new HashSet<int> { 0, 1, 2 }, uncleanElection: false)); // 2 must catch up first
    }

    [Fact]
    public void A_dead_follower_leaves_the_isr_and_the_leader_and_its_epoch_stay()
    {
        PartitionDescription after = LeaderElection.Reconcile(Partition(0, [0, 1, 2]), new HashSet<int> { 0, 2 }, uncleanElection: false);
        Assert.Equal(0, after.Leader);
        Assert.Equal(3, after.LeaderEpoch);
        Assert.Equal([0, 2], after.Isr);
        Assert.Equal(8, after.PartitionEpoch);
    }

    [Fact]
    public void A_dead_leader_is_replaced_by_the_first_live_isr_member_in_replica_order_with_the_next_epoch()
    {
        PartitionDescription after = LeaderElection.Reconcile(Partition(0, [0, 2, 1]), new HashSet<int> { 1, 2 }, uncleanElection: false);
        Assert.Equal(1, after.Leader);
        Assert.Equal(4, after.LeaderEpoch);
        Assert.Equal([2, 1], after.Isr);
    }

    [Fact]
    public void A_live_replica_outside_the_isr_never_leads_unless_unclean_election_is_on()
    {
        PartitionDescription partition = Partition(0, [0]);
        var live = new HashSet<int> { 1, 2 };

        PartitionDescription clean = LeaderElection.Reconcile(partition, live, uncleanElection: false);
        Assert.Equal(PartitionDescription.NoLeader, clean.Leader);
        Assert.Equal([0], clean.Isr); // the one replica with every acknowledged record stays eligible
        Assert.Equal(4, clean.LeaderEpoch);
        Assert.Same(clean, LeaderElection.Reconcile(clean, live, uncleanElection: false)); // and stays offline

        PartitionDescription unclean = LeaderElection.Reconcile(partition, live, uncleanElection: true);
        Assert.Equal(1, unclean.Leader);
        Assert.Equal([1], unclean.Isr);
        Assert.Equal(4, unclean.LeaderEpoch);
    }

    [Fact]
    public void An_offline_partition_gets_its_last_isr_member_back_as_leader()
    {
        PartitionDescription offline = LeaderElection.Reconcile(Partition(0, [0]), new HashSet<int> { 1 }, uncleanElection: false);
        PartitionDescription back = LeaderElection.Reconcile(offline, new HashSet<int> { 0, 1 }, uncleanElection: false);
        Assert.Equal(0, back.Leader);
        Assert.Equal(offline.LeaderEpoch + 1, back.LeaderEpoch);
        Assert.Equal([0], back.Isr);
    }
}
