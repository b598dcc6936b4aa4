using Orleans.Stream.Broker.Controller;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class ReplicaAssignerTests
{
    [Fact]
    public void Leaders_spread_evenly_over_brokers_and_stay_even_topic_after_topic()
    {
        int[] brokers = [0, 1, 2];
        var topics = new List<TopicDescription>();
        foreach (int partitions in (int[])[1, 2, 4, 1, 5, 3])
        {
            PartitionDescription[] assigned = ReplicaAssigner.Assign(partitions, 1, brokers, topics);
            topics.Add(new TopicDescription($"t{topics.Count}", Guid.NewGuid(), assigned, []));
            int[] leaders = [.. brokers.Select(b => topics.Sum(t => t.Partitions.Count(p => p.Leader == b)))];
            Assert.True(leaders.Max() - leaders.Min() <= 1, $"leaders per broker: {string.Join(",", leaders)}");
        }
    }

    [Fact]
    public void Replicas_of_a_partition_are_on_distinct_brokers_and_the_first_is_the_leader()
    {
        PartitionDescription[] assigned = ReplicaAssigner.Assign(7, 3, [4, 9, 2, 7], []);
        Assert.Equal(Enumerable.Range(0, 7), assigned.Select(p => p.Partition));
        foreach (PartitionDescription partition in assigned)
        {
            Assert.Equal(3, partition.Replicas.Distinct().Count());
            Assert.Equal(partition.Replicas[0], partition.Leader);
            Assert.Equal(partition.Replicas, partition.Isr);
            Assert.Equal(0, partition.LeaderEpoch);
            Assert.All(partition.Replicas, r => Assert.Contains(r, (int[])[4, 9, 2, 7]));
        }
    }

    [Fact]
    public void No_live_broker_is_a_retriable_error()
    {
        var error = Assert.Throws<OrleansStreamException>(() => ReplicaAssigner.Assign(1, 1, [], []));
        Assert.Equal(ErrorCode.LeaderNotAvailable, error.Code);
        Assert.True(error.IsRetriable);
    }
}
