using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// Replication on a real 3-silo cluster: followers hold the leader's exact bytes, <c>acks=all</c> waits for the ISR,
/// <c>min.insync.replicas</c> refuses writes it cannot honour, and a returning leader truncates what only it had.
/// </summary>
public sealed class ReplicationTests
{
    private static readonly Dictionary<string, string> MinIsr2 = new() { ["min.insync.replicas"] = "2" };

    [Fact]
    public async Task Followers_hold_the_leaders_exact_bytes_and_consumers_get_every_acknowledged_record()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("orders", partitions: 3, replicationFactor: 3, MinIsr2);

        const int Records = 3_000;
        var delivered = new List<(string Value, DeliveryResult Delivery)>();
        await using (Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 8192, Linger = TimeSpan.FromMilliseconds(2) }))
        {
            var pending = new List<(string, Task<DeliveryResult>)>();
            for (int i = 0; i < Records; i++)
            {
                string value = $"order-{i}";
                pending.Add((value, producer.ProduceAsync("orders", Encoding.UTF8.GetBytes($"customer-{i % 10}"), Encoding.UTF8.GetBytes(value)).AsTask()));
            }

            await producer.FlushAsync();
            foreach ((string value, Task<DeliveryResult> delivery) in pending)
            {
                delivered.Add((value, await delivery));
            }
        }

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("orders", p, 0)));
        List<ConsumeResult> consumed = await consumer.ReadAsync(Records, TimeSpan.FromSeconds(30));
        var byPosition = consumed.ToDictionary(r => (r.TopicPartition.Partition, r.Offset), r => Encoding.UTF8.GetString(r.Value!.Value.Span));
        foreach ((string value, DeliveryResult delivery) in delivered)
        {
            Assert.Equal(value, byPosition[(delivery.TopicPartition.Partition, delivery.Offset)]);
        }

        for (int p = 0; p < 3; p++)
        {
            var partition = new TopicPartition("orders", p);
            await ReplicaLogs.AssertConvergedAsync(brokers, partition, [0, 1, 2]);
            PartitionDescription description = (await client.Admin.DescribeTopicAsync("orders")).Partitions[p];
            Assert.Equal(3, description.Isr.Length);
            AssertEveryBatchHasEpoch(ReplicaLogs.ReadAll(brokers, description.Leader, partition), description.LeaderEpoch);
        }
    }

    [Fact]
    public async Task Acks_all_is_refused_below_min_insync_replicas_without_appending_and_works_again_once_a_follower_is_back()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartSurvivingAsync(data.Path, azurite);
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("ledger", partitions: 1, replicationFactor: 3, MinIsr2);
        var partition = new TopicPartition("ledger", 0);
        IPartitionGrain leaderGrain = brokers.Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        Assert.Equal(ErrorCode.None, (await leaderGrain.Produce(Request("before", Acks.All))).Error);

        int leader = topic.Partitions[0].Leader;
        int[] followers = [.. topic.Partitions[0].Replicas.Where(b => b != leader)];
        await brokers.KillBrokerAsync(followers[0]);
        await brokers.KillBrokerAsync(followers[1]);
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 1);

        PartitionLog leaderLog = ReplicaLogs.LogOf(brokers, leader, partition);
        long endBefore = leaderLog.LogEndOffset;
        ProduceResponse refused = await SurviveDeadGatewayAsync(() => leaderGrain.Produce(Request("refused", Acks.All)));
        Assert.Equal(ErrorCode.NotEnoughReplicas, refused.Error);
        Assert.Contains("min.insync.replicas=2", refused.ErrorMessage);
        Assert.Equal(endBefore, leaderLog.LogEndOffset);

        ProduceResponse leaderOnly = await SurviveDeadGatewayAsync(() => leaderGrain.Produce(Request("acks-1", Acks.Leader)));
        Assert.Equal(ErrorCode.None, leaderOnly.Error);
        Assert.Equal(endBefore, leaderOnly.BaseOffset);

        await brokers.StartBrokerAsync(followers[0]);
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 2);
        ProduceResponse accepted = await SurviveDeadGatewayAsync(() => leaderGrain.Produce(Request("after", Acks.All)));
        Assert.Equal(ErrorCode.None, accepted.Error);
        Assert.Equal(endBefore + 1, accepted.BaseOffset);

        await ReplicaLogs.AssertConvergedAsync(brokers, partition, [leader, followers[0]]);
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("ledger", 0, 0)]);
        List<ConsumeResult> records = await consumer.ReadAsync(3, TimeSpan.FromSeconds(30));
        Assert.Equal(["before", "acks-1", "after"], records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)));
    }

    [Fact]
    public async Task A_leader_cut_off_with_unreplicated_records_truncates_them_when_it_returns_as_a_follower()
    {
        using var data = new TempDirectory();
        var faults = new ReplicationFaults();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartSurvivingAsync(data.Path, azurite, silo => silo.AddIncomingGrainCallFilter(faults.InvokeAsync));
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("divergent", partitions: 1, replicationFactor: 3);
        var partition = new TopicPartition("divergent", 0);
        IPartitionGrain grain = brokers.Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(ErrorCode.None, (await grain.Produce(Request($"committed-{i}", Acks.All))).Error);
        }

        int oldLeader = topic.Partitions[0].Leader;
        int[] followers = [.. topic.Partitions[0].Replicas.Where(b => b != oldLeader)];
        await ReplicaLogs.AssertConvergedAsync(brokers, partition, [oldLeader, .. followers]);

        // Cut the followers off, write records only the leader gets (acks=1), then lose the leader.
        faults.Blocked = true;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ErrorCode.None, (await grain.Produce(Request($"lost-{i}", Acks.Leader))).Error);
        }

        long oldLeaderEnd = ReplicaLogs.LogOf(brokers, oldLeader, partition).LogEndOffset;
        Assert.Equal(8, oldLeaderEnd);
        await brokers.KillBrokerAsync(oldLeader);
        faults.Blocked = false;

        PartitionDescription failedOver = await ReplicaLogs.WaitForIsrAsync(brokers, partition, 2);
        Assert.NotEqual(oldLeader, failedOver.Leader);
        Assert.True(failedOver.LeaderEpoch > topic.Partitions[0].LeaderEpoch);
        for (int i = 0; i < 4; i++)
        {
            ProduceResponse response = await ProduceWithRetryAsync(brokers, partition, $"new-leader-{i}");
            Assert.Equal(5 + i, response.BaseOffset); // the new leader never had the lost records
        }

        // The old leader comes back as a follower: its three unreplicated records go, and all three logs agree.
        await brokers.StartBrokerAsync(oldLeader);
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 3);
        await ReplicaLogs.AssertConvergedAsync(brokers, partition, [failedOver.Leader, .. followers.Where(f => f != failedOver.Leader), oldLeader]);

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("divergent", 0, 0)]);
        List<ConsumeResult> records = await consumer.ReadAsync(9, TimeSpan.FromSeconds(30));
        Assert.Equal(
            [.. Enumerable.Range(0, 5).Select(i => $"committed-{i}"), .. Enumerable.Range(0, 4).Select(i => $"new-leader-{i}")],
            records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)));
    }

    [Fact]
    public async Task A_follower_that_falls_behind_leaves_the_isr_after_the_lag_time_and_rejoins_once_caught_up()
    {
        using var data = new TempDirectory();
        var faults = new ReplicationFaults();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path,
            configureSilo: silo => silo.AddIncomingGrainCallFilter(faults.InvokeAsync),
            configureBroker: broker => broker.ReplicaLagTimeMax = TimeSpan.FromSeconds(2));
        TopicDescription topic = await brokers.Client.Admin.CreateTopicAsync("lagging", partitions: 1, replicationFactor: 3);
        var partition = new TopicPartition("lagging", 0);
        IPartitionGrain grain = brokers.Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        Assert.Equal(ErrorCode.None, (await grain.Produce(Request("in-sync", Acks.All))).Error);

        // Followers alive but cut off (as behind a network partition): the leader writes on, they fall behind.
        faults.Blocked = true;
        Assert.Equal(ErrorCode.None, (await grain.Produce(Request("only-the-leader-has-it", Acks.Leader))).Error);
        PartitionDescription shrunk = await ReplicaLogs.WaitForIsrAsync(brokers, partition, 1, TimeSpan.FromSeconds(30));
        Assert.Equal([topic.Partitions[0].Leader], shrunk.Isr);
        Assert.Equal(topic.Partitions[0].LeaderEpoch, shrunk.LeaderEpoch); // the leader stays; only the ISR changed
        Assert.Equal(ErrorCode.None, (await grain.Produce(Request("with-isr-of-one", Acks.All))).Error); // min.insync.replicas=1

        faults.Blocked = false;
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 3, TimeSpan.FromSeconds(30));
        await ReplicaLogs.AssertConvergedAsync(brokers, partition, topic.Partitions[0].Replicas);
    }

    private static async Task<ProduceResponse> ProduceWithRetryAsync(BrokerCluster brokers, TopicPartition partition, string value)
    {
        ProduceResponse response = default;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                response = await brokers.Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString()).Produce(Request(value, Acks.All));
                return response.Error == ErrorCode.None;
            }
            catch (Exception)
            {
                return false; // the leader is moving
            }
        }, TimeSpan.FromSeconds(60), () => $"a produce to {partition} to succeed (last: {response.Error} {response.ErrorMessage})");
        return response;
    }

    /// <summary>
    /// The test client may still try a killed silo as its gateway: a call that never reached a broker is tried again
    /// (one that reached it and answered with an error is not).
    /// </summary>
    private static async Task<T> SurviveDeadGatewayAsync<T>(Func<Task<T>> call)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Orleans.Runtime.Messaging.ConnectionFailedException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }

    private static ProduceRequest Request(string value, Acks acks)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value));
        return new ProduceRequest(new BatchPayload(builder.Build().ToArray()), acks);
    }

    private static void AssertEveryBatchHasEpoch(byte[] log, int maxEpoch)
    {
        int position = 0;
        while (position < log.Length)
        {
            RecordBatchHeader header = RecordBatchHeader.Read(log.AsSpan(position));
            Assert.InRange(header.PartitionLeaderEpoch, 0, maxEpoch);
            position += header.TotalSize;
        }

        Assert.True(position > 0);
    }
}
