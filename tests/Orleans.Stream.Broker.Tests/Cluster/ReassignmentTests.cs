using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// Moving a partition's replicas: the new broker copies the log from the leader's (retention-trimmed) start, the old
/// broker lets go and deletes its copy, leadership moves when the leader is not among the new replicas, and producers
/// and consumers carry on at the new leader.
/// </summary>
public sealed class ReassignmentTests
{
    [Fact]
    public async Task A_reassigned_partition_is_copied_to_the_new_broker_and_deleted_from_the_old_one_and_leadership_moves()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path);
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("moving", partitions: 1, replicationFactor: 2,
            new Dictionary<string, string> { ["segment.bytes"] = "4096", ["retention.bytes"] = "8192" });
        var partition = new TopicPartition("moving", 0);
        int[] before = topic.Partitions[0].Replicas;
        int oldLeader = before[0];
        int newBroker = brokers.BrokerIds.Single(b => !before.Contains(b));

        await using Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 1024 });
        for (int i = 0; i < 300; i++)
        {
            await producer.ProduceAsync("moving", null, Encoding.UTF8.GetBytes($"record-{i:D3}-{new string('x', 80)}"));
        }

        await ReplicaLogs.AssertConvergedAsync(brokers, partition, before);
        foreach (int broker in before)
        {
            await brokers.LogsOf(broker).EnforceRetentionAsync();
        }

        long leaderStart = ReplicaLogs.LogOf(brokers, oldLeader, partition).LogStartOffset;
        Assert.True(leaderStart > 0, "retention must have trimmed the leader's log, so the new replica cannot copy it from offset 0");

        int[] target = [newBroker, before[1]];
        PartitionDescription started = await client.Admin.ReassignPartitionAsync(partition, target);
        Assert.Equal(target, started.TargetReplicas);
        var refused = await Assert.ThrowsAsync<OrleansStreamException>(() => client.Admin.ReassignPartitionAsync(partition, before));
        Assert.Equal(ErrorCode.InvalidRequest, refused.Code);

        PartitionDescription done = null!;
        await Eventually.TrueDespiteFaultsAsync(async () =>
        {
            done = (await client.Admin.DescribeTopicAsync("moving")).Partitions[0];
            return done.TargetReplicas is null;
        }, TimeSpan.FromSeconds(30), () => $"the reassignment to finish (replicas {string.Join(",", done?.Replicas ?? [])}, ISR {string.Join(",", done?.Isr ?? [])})");
        Assert.Equal(target, done.Replicas);
        Assert.Equal(newBroker, done.Leader);
        Assert.True(done.LeaderEpoch > topic.Partitions[0].LeaderEpoch);
        await Eventually.TrueAsync(
            () => Task.FromResult(brokers.LogsOf(oldLeader).Find(partition) is null && !Directory.Exists(Path.Combine(data.Path, $"broker-{oldLeader}", partition.DirectoryName))),
            TimeSpan.FromSeconds(30), () => $"broker {oldLeader} to delete its copy");

        // The producer finds the new leader by itself; the consumer reads the copied log and what came after.
        for (int i = 300; i < 350; i++)
        {
            await producer.ProduceAsync("moving", null, Encoding.UTF8.GetBytes($"record-{i:D3}-{new string('x', 80)}"));
        }

        await ReplicaLogs.AssertConvergedAsync(brokers, partition, target);
        Assert.Equal(leaderStart, ReplicaLogs.LogOf(brokers, newBroker, partition).LogStartOffset);
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("moving", 0, leaderStart)]);
        List<ConsumeResult> records = await consumer.ReadAsync((int)(350 - leaderStart), TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range((int)leaderStart, 350 - (int)leaderStart).Select(i => $"record-{i:D3}-{new string('x', 80)}"),
            records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)));
    }

    [Fact]
    public async Task After_a_broker_joins_a_rebalance_gives_it_its_share_of_replicas_and_leaders_and_every_record_stays()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("growing", partitions: 6, replicationFactor: 2);
        await using Producer producer = client.CreateProducer(new ProducerOptions { Acks = Acks.All });
        for (int i = 0; i < 300; i++)
        {
            await producer.ProduceAsync("growing", null, Encoding.UTF8.GetBytes($"value-{i:D3}"), partition: i % 6); // every partition has a log to move
        }

        // Scale out: broker 3 joins empty; the plan moves a quarter of the replicas (and some leaders) onto it.
        await brokers.StartBrokerAsync(3);
        await brokers.WaitForBrokersAsync(4);
        IReadOnlyList<PartitionMove> moves = await client.Admin.PlanRebalanceAsync();
        Assert.Equal(3, moves.Count); // 12 replicas over 4 brokers: 3 each, all three from the old brokers' 4
        Assert.All(moves, move => Assert.Contains(3, move.To));
        foreach (PartitionMove move in moves)
        {
            await client.Admin.ReassignPartitionAsync(move.Partition, move.To);
        }

        ClusterDescription cluster = null!;
        await Eventually.TrueDespiteFaultsAsync(async () =>
        {
            cluster = await client.Admin.DescribeClusterAsync();
            return cluster.Topics.Single().Partitions.All(p => p.TargetReplicas is null && p.Isr.Length == 2);
        }, TimeSpan.FromSeconds(60), () => "every move to finish");
        Assert.All(cluster.Brokers, broker => Assert.Equal(3, broker.Replicas));
        Assert.InRange(cluster.Brokers.Single(b => b.Id == 3).Leaders, 1, 2);
        Assert.Empty(await client.Admin.PlanRebalanceAsync());
        foreach (PartitionDescription partition in cluster.Topics.Single().Partitions)
        {
            await ReplicaLogs.AssertConvergedAsync(brokers, new TopicPartition("growing", partition.Partition), partition.Replicas);
        }

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([.. Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset("growing", p, OffsetSpec.Earliest))]);
        List<ConsumeResult> records = await consumer.ReadAsync(300, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"value-{i:D3}"), records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task With_automatic_reassignment_a_dead_brokers_replicas_move_to_the_live_ones_and_every_record_stays()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartSurvivingAsync(data.Path, azurite,
            configureBroker: broker => broker.ReassignDeadBrokerReplicasAfter = TimeSpan.FromSeconds(2));
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("self-healing", partitions: 3, replicationFactor: 2);
        var values = new HashSet<string>();
        await using (Producer producer = client.CreateProducer())
        {
            for (int i = 0; i < 300; i++)
            {
                values.Add($"v{i}");
                await producer.ProduceAsync("self-healing", Encoding.UTF8.GetBytes($"k{i % 7}"), Encoding.UTF8.GetBytes($"v{i}"));
            }
        }

        int dead = brokers.BrokerIds[1];
        await brokers.KillBrokerAsync(dead);

        TopicDescription healed = null!;
        await Eventually.TrueDespiteFaultsAsync(async () =>
        {
            healed = await client.Admin.DescribeTopicAsync("self-healing");
            return healed.Partitions.All(p => !p.Replicas.Contains(dead) && p.TargetReplicas is null && p.Isr.Length == 2);
        }, TimeSpan.FromSeconds(60), () => string.Join("; ", healed?.Partitions.Select(p => $"{p.Partition}: replicas {string.Join(",", p.Replicas)} isr {string.Join(",", p.Isr)}") ?? []));

        foreach (PartitionDescription partition in healed.Partitions)
        {
            await ReplicaLogs.AssertConvergedAsync(brokers, new TopicPartition("self-healing", partition.Partition), partition.Replicas);
        }

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(healed.Partitions.Select(p => new TopicPartitionOffset("self-healing", p.Partition, OffsetSpec.Earliest)));
        List<ConsumeResult> records = await consumer.ReadAsync(300);
        Assert.Equal(values.Order(), records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)).Order());
    }
}
