using Orleans.Stream.Broker.Controller;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Unit;

/// <summary>The plan that evens out the live brokers after one joins: balanced, valid, minimal, and leaders spread too.</summary>
public sealed class RebalancePlannerTests
{
    [Fact]
    public void A_new_broker_gets_its_share_of_replicas_and_leaders_with_the_fewest_moves()
    {
        // 12 partitions with RF=2 on brokers 0-2 (as the controller lays them out); broker 3 has just joined.
        PartitionDescription[] partitions = ReplicaAssigner.Assign(12, 2, [0, 1, 2], []);
        ClusterDescription cluster = Cluster([0, 1, 2, 3], [], Topic("orders", partitions));

        IReadOnlyList<PartitionMove> moves = RebalancePlanner.Plan(cluster);

        Dictionary<int, int[]> after = Apply(partitions, moves);
        Assert.All([0, 1, 2, 3], broker => Assert.Equal(6, after.Values.Count(replicas => replicas.Contains(broker)))); // 24 replicas / 4
        Assert.Equal(6, moves.Count); // exactly broker 3's share: no replica moves twice, none moves needlessly
        Assert.All(moves, move => Assert.Single(move.To.Except(move.From)));
        Assert.All(after.Values, replicas => Assert.Equal(replicas.Length, replicas.Distinct().Count()));

        // Leadership follows where the leader's own replica moved: broker 3 leads some partitions afterwards.
        int newLeaders = moves.Count(move => move.To[0] == 3 && move.From[0] != 3);
        Assert.InRange(newLeaders, 2, 4); // 12 leaders / 4 brokers = 3, within one
    }

    [Fact]
    public void A_balanced_cluster_plans_nothing_and_the_plan_is_repeatable()
    {
        PartitionDescription[] partitions = ReplicaAssigner.Assign(9, 3, [0, 1, 2], []);
        Assert.Empty(RebalancePlanner.Plan(Cluster([0, 1, 2], [], Topic("t", partitions))));

        PartitionDescription[] uneven = ReplicaAssigner.Assign(7, 2, [0, 1], []);
        ClusterDescription grown = Cluster([0, 1, 2, 3, 4], [], Topic("b", uneven), Topic("a", ReplicaAssigner.Assign(5, 1, [0], [])));
        IReadOnlyList<PartitionMove> first = RebalancePlanner.Plan(grown);
        IReadOnlyList<PartitionMove> second = RebalancePlanner.Plan(grown);
        Assert.Equal(first.Select(Describe), second.Select(Describe));

        // 19 replicas over 5 brokers: everyone ends with 3 or 4.
        var counts = new Dictionary<int, int>();
        foreach (int[] replicas in Apply(uneven, first.Where(m => m.Partition.Topic == "b")).Values
                     .Concat(Apply(ReplicaAssigner.Assign(5, 1, [0], []), first.Where(m => m.Partition.Topic == "a")).Values))
        {
            foreach (int broker in replicas)
            {
                counts[broker] = counts.GetValueOrDefault(broker) + 1;
            }
        }

        Assert.All([0, 1, 2, 3, 4], broker => Assert.InRange(counts.GetValueOrDefault(broker), 3, 4));
    }

    [Fact]
    public void Replicas_on_a_broker_that_is_down_stay_and_partitions_already_moving_are_left_alone()
    {
        PartitionDescription[] partitions = ReplicaAssigner.Assign(6, 2, [0, 1, 2], []);
        partitions[0] = partitions[0] with { TargetReplicas = [0, 1] };
        ClusterDescription cluster = Cluster([0, 1, 3], dead: [2], Topic("t", partitions));

        IReadOnlyList<PartitionMove> moves = RebalancePlanner.Plan(cluster);

        Assert.NotEmpty(moves);
        Assert.All(moves, move => Assert.NotEqual(0, move.Partition.Partition));
        Assert.All(moves, move => Assert.DoesNotContain(2, move.To.Except(move.From))); // nothing moves onto the dead broker
        Assert.All(moves, move => Assert.Equal(move.From.Contains(2), move.To.Contains(2))); // and its replicas stay
    }

    private static string Describe(PartitionMove move) => $"{move.Partition} {string.Join(",", move.From)}->{string.Join(",", move.To)}";

    private static Dictionary<int, int[]> Apply(PartitionDescription[] partitions, IEnumerable<PartitionMove> moves)
    {
        var result = partitions.ToDictionary(p => p.Partition, p => p.Replicas);
        foreach (PartitionMove move in moves)
        {
            Assert.Equal(result[move.Partition.Partition], move.From);
            result[move.Partition.Partition] = move.To;
        }

        return result;
    }

    private static TopicDescription Topic(string name, PartitionDescription[] partitions) => new(name, Guid.NewGuid(), partitions, []);

    private static ClusterDescription Cluster(int[] alive, int[] dead, params TopicDescription[] topics) =>
        new([.. alive.Select(id => new BrokerDescription(id, $"silo-{id}", true, 0, 0, "")), .. dead.Select(id => new BrokerDescription(id, "", false, 0, 0, ""))], topics);
}
