using Orleans.Stream.Client.Groups;
using Orleans.Stream.Client.Groups.Assignors;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class AssignorTests
{
    private static AssignorMember Member(string id, string[] topics, TopicPartition[]? owned = null, int generation = -1) =>
        new(id, new Subscription(topics, owned ?? [], generation));

    private static TopicPartition[] Partitions(string topic, params int[] partitions) => [.. partitions.Select(p => new TopicPartition(topic, p))];

    [Fact]
    public void Range_gives_each_subscriber_a_consecutive_range_the_first_ones_one_more()
    {
        var members = new[] { Member("c", ["t"]), Member("a", ["t"]), Member("b", ["t"]) };
        Dictionary<string, List<TopicPartition>> result = new RangeAssignor().Assign(new Dictionary<string, int> { ["t"] = 7 }, members);
        Assert.Equal(Partitions("t", 0, 1, 2), result["a"]);
        Assert.Equal(Partitions("t", 3, 4), result["b"]);
        Assert.Equal(Partitions("t", 5, 6), result["c"]);
    }

    [Fact]
    public void Round_robin_deals_every_partition_in_turn_skipping_members_not_subscribed()
    {
        var members = new[] { Member("a", ["x", "y"]), Member("b", ["x"]) };
        Dictionary<string, List<TopicPartition>> result = new RoundRobinAssignor().Assign(new Dictionary<string, int> { ["x"] = 3, ["y"] = 2 }, members);
        Assert.Equal([new("x", 0), new("x", 2), new("y", 0), new("y", 1)], result["a"]);
        Assert.Equal(Partitions("x", 1), result["b"]);
    }

    [Fact]
    public void Every_assignor_assigns_each_partition_to_exactly_one_member()
    {
        var topics = new Dictionary<string, int> { ["a"] = 6, ["b"] = 5 };
        var members = new[] { Member("m1", ["a", "b"]), Member("m2", ["a", "b"]), Member("m3", ["a", "b"]), Member("m4", ["b"]) };
        foreach (IPartitionAssignor assignor in new IPartitionAssignor[] { new RangeAssignor(), new RoundRobinAssignor(), new CooperativeStickyAssignor() })
        {
            var all = assignor.Assign(topics, members).Values.SelectMany(p => p).ToList();
            Assert.Equal(11, all.Count);
            Assert.Equal(11, all.Distinct().Count());
        }
    }

    [Fact]
    public void Cooperative_sticky_balances_a_fresh_group()
    {
        var members = new[] { Member("a", ["t"]), Member("b", ["t"]), Member("c", ["t"]) };
        Dictionary<string, List<TopicPartition>> result = new CooperativeStickyAssignor().Assign(new Dictionary<string, int> { ["t"] = 6 }, members);
        Assert.All(result.Values, p => Assert.Equal(2, p.Count));
    }

    [Fact]
    public void Cooperative_sticky_moves_only_what_must_move_and_in_two_rebalances()
    {
        var assignor = new CooperativeStickyAssignor();
        var topics = new Dictionary<string, int> { ["t"] = 6 };

        // Generation 1: a, b, c own two each. d joins.
        TopicPartition[] ownedA = Partitions("t", 0, 1), ownedB = Partitions("t", 2, 3), ownedC = Partitions("t", 4, 5);
        var first = assignor.Assign(topics, [Member("a", ["t"], ownedA, 1), Member("b", ["t"], ownedB, 1), Member("c", ["t"], ownedC, 1), Member("d", ["t"])]);

        // Nobody gains a partition someone else still owns; exactly one partition is released (6 over 4 members: 2,2,1,1).
        Assert.Empty(first["d"]);
        int kept = first["a"].Count + first["b"].Count + first["c"].Count;
        Assert.Equal(5, kept);
        Assert.True(first["a"].All(ownedA.Contains) && first["b"].All(ownedB.Contains) && first["c"].All(ownedC.Contains));

        // Generation 2: the member that released a partition rejoined; the released one goes to d, nothing else moves.
        var second = assignor.Assign(topics,
        [
            Member("a", ["t"], [.. first["a"]], 2), Member("b", ["t"], [.. first["b"]], 2), Member("c", ["t"], [.. first["c"]], 2), Member("d", ["t"], [], 2),
        ]);
        Assert.Equal(first["a"], second["a"]);
        Assert.Equal(first["b"], second["b"]);
        Assert.Equal(first["c"], second["c"]);
        TopicPartition released = Partitions("t", 0, 1, 2, 3, 4, 5).Except(first.Values.SelectMany(p => p)).Single();
        Assert.Equal([released], second["d"]);
    }

    [Fact]
    public void Cooperative_sticky_gives_a_departed_members_partitions_to_the_others_at_once_and_keeps_the_rest()
    {
        var result = new CooperativeStickyAssignor().Assign(new Dictionary<string, int> { ["t"] = 6 },
        [
            Member("a", ["t"], Partitions("t", 0, 1), 3), Member("b", ["t"], Partitions("t", 2, 3), 3),
        ]);
        Assert.Equal(3, result["a"].Count);
        Assert.Equal(3, result["b"].Count);
        Assert.Subset(result["a"].ToHashSet(), Partitions("t", 0, 1).ToHashSet());
        Assert.Subset(result["b"].ToHashSet(), Partitions("t", 2, 3).ToHashSet());
    }

    [Fact]
    public void A_partition_claimed_twice_goes_to_the_claim_from_the_newer_generation()
    {
        var result = new CooperativeStickyAssignor().Assign(new Dictionary<string, int> { ["t"] = 2 },
        [
            Member("a", ["t"], Partitions("t", 0), 4), Member("b", ["t"], Partitions("t", 0, 1), 5),
        ]);
        // Both partitions are b's (the newer claim wins partition 0); balance says one goes to a, which is a move:
        // b releases it now and a gets it in the next round.
        Assert.Empty(result["a"]);
        Assert.Single(result["b"]);
    }

    [Fact]
    public void Unknown_strategy_names_are_refused_with_the_known_ones_listed()
    {
        var error = Assert.Throws<ArgumentException>(() => PartitionAssignors.Parse("range,sticky"));
        Assert.Contains("cooperative-sticky", error.Message);
    }
}
