using System.Diagnostics;
using Xunit.Abstractions;
using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Runtime;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class ConsumerGroupTests(ITestOutputHelper output)
{
    private static void FastGroups(BrokerOptions broker)
    {
        broker.GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(500);
        broker.GroupMinSessionTimeout = TimeSpan.FromSeconds(1);
    }

    private static ConsumerOptions Options(string group, string strategy = "range", TimeSpan? session = null) => new()
    {
        GroupId = group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        PartitionAssignmentStrategy = strategy,
        SessionTimeout = session ?? TimeSpan.FromSeconds(10),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        AutoCommitInterval = TimeSpan.FromMilliseconds(500),
        MaxPollInterval = TimeSpan.FromSeconds(20),
        FetchMaxWait = TimeSpan.FromMilliseconds(100),
    };

    internal static async Task<List<string>> ProduceAsync(OrleansStreamClient client, string topic, int from, int count)
    {
        await using Producer producer = client.CreateProducer();
        var values = new List<string>(count);
        var pending = new List<Task<DeliveryResult>>(count);
        for (int i = from; i < from + count; i++)
        {
            string value = $"r{i}";
            values.Add(value);
            pending.Add(producer.ProduceAsync(topic, Encoding.UTF8.GetBytes($"k{i % 50}"), Encoding.UTF8.GetBytes(value)).AsTask());
        }

        await Task.WhenAll(pending);
        return values;
    }

    [Fact]
    public async Task Members_share_the_partitions_one_owner_at_a_time_through_joins_and_leaves_and_nothing_is_skipped_or_repeated()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureBroker: FastGroups);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("shared", partitions: 6);
        var expected = new HashSet<string>(await ProduceAsync(client, "shared", 0, 3000));

        await using var group = new GroupMembers(client, Options("workers"), "shared") { ProcessingDelay = TimeSpan.FromMilliseconds(1) };
        await group.StartAndSettleAsync(6, "c1", "c2", "c3");
        Assert.All(group.Owners.GroupBy(o => o.Value), owned => Assert.Equal(2, owned.Count()));

        // More records keep arriving while members come and go.
        Task<List<string>> producing = Task.Run(async () =>
        {
            var values = new List<string>();
            for (int round = 0; round < 20; round++)
            {
                values.AddRange(await ProduceAsync(client, "shared", 3000 + (round * 300), 300));
                await Task.Delay(100);
            }

            return values;
        });

        await group.StartAndSettleAsync(6, "c4");
        await group.StopAsync("c1");
        await group.StopAsync("c2");
        await group.SettledAsync(6);

        expected.UnionWith(await producing);
        await group.AllProcessedAsync(expected);

        Assert.Empty(group.Violations);
        Assert.Equal(expected.Count, group.Processed.Count); // commit after processing, and revocation only between records: no repeats
        foreach (var perMember in group.Processed.GroupBy(p => (p.Member, p.Partition)))
        {
            long[] offsets = [.. perMember.Select(p => p.Offset)];
            Assert.Equal(offsets.Order(), offsets); // each member reads each partition in offset order
        }

        ConsumerGroupDescription described = await client.Admin.DescribeGroupAsync("workers");
        Assert.Equal("Stable", described.State);
        Assert.Equal(["c3", "c4"], described.Members.Select(m => m.ClientId).Order());
        Assert.Equal(6, described.Members.Sum(m => m.Assignment.Count));
        Assert.Contains("workers", await client.Admin.ListGroupsAsync());
    }

    [Fact]
    public async Task A_member_that_stops_heartbeating_loses_its_partitions_within_the_session_timeout()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureBroker: FastGroups);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("crashy", partitions: 6);
        var expected = new HashSet<string>(await ProduceAsync(client, "crashy", 0, 600));

        TimeSpan session = TimeSpan.FromSeconds(3);
        await using var group = new GroupMembers(client, Options("crash-group", session: session), "crashy");
        await group.StartAndSettleAsync(6, "a", "b", "c");
        await group.AllProcessedAsync(expected);

        var clock = Stopwatch.StartNew();
        await group.KillAsync("a");
        expected.UnionWith(await ProduceAsync(client, "crashy", 600, 600));
        await group.SettledAsync(6);
        TimeSpan moved = clock.Elapsed;
        output.WriteLine($"The dead member's partitions moved after {moved.TotalMilliseconds:F0} ms (session timeout {session.TotalMilliseconds:F0} ms).");
        Assert.True(moved >= session - TimeSpan.FromMilliseconds(500), $"The partitions moved after {moved}, before the session could time out.");
        Assert.True(moved < session + TimeSpan.FromSeconds(3), $"The partitions moved only after {moved} (session timeout {session}).");

        await group.AllProcessedAsync(expected);
        Assert.Empty(group.Violations);
    }

    [Fact]
    public async Task Cooperative_sticky_moves_only_the_partitions_that_must_move_and_the_others_never_stop()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureBroker: FastGroups);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("sticky", partitions: 6);
        await ProduceAsync(client, "sticky", 0, 600);

        await using var group = new GroupMembers(client, Options("sticky-group", "cooperative-sticky"), "sticky");
        await group.StartAndSettleAsync(6, "a", "b", "c");
        var before = group.Owners.ToDictionary(o => o.Key, o => o.Value);
        int eventsBefore = group.Events.Count;

        await group.StartAndSettleAsync(6, "d");

        // 6 partitions over 4 members is 2, 2, 1, 1: exactly one partition changes hands, and it is the only one revoked.
        var after = group.Owners.ToDictionary(o => o.Key, o => o.Value);
        TopicPartition[] moved = [.. after.Where(o => before[o.Key] != o.Value).Select(o => o.Key)];
        Assert.Single(moved);
        Assert.Equal("d", after[moved[0]]);
        var later = group.Events.Skip(eventsBefore).ToList();
        Assert.Equal(moved, later.Where(e => e.Event == "revoked").SelectMany(e => e.Partitions));
        Assert.Equal(moved, later.Where(e => e.Event == "assigned").SelectMany(e => e.Partitions));
        Assert.Empty(group.Violations);
    }

    [Fact]
    public async Task A_topic_that_gains_partitions_is_rebalanced_and_the_new_partitions_are_read()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureBroker: FastGroups);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("growing", partitions: 2);
        var expected = new HashSet<string>(await ProduceAsync(client, "growing", 0, 200));

        await using var group = new GroupMembers(client, Options("growers") with { MetadataMaxAge = TimeSpan.FromMilliseconds(500) }, "growing");
        await group.StartAndSettleAsync(2, "a", "b");

        var refused = await Assert.ThrowsAsync<OrleansStreamException>(() => client.Admin.CreatePartitionsAsync("growing", 2));
        Assert.Equal(ErrorCode.InvalidPartitions, refused.Code);
        TopicDescription grown = await client.Admin.CreatePartitionsAsync("growing", 5);
        Assert.Equal(5, grown.Partitions.Length);
        Assert.Equal([0, 1, 2, 3, 4], grown.Partitions.Select(p => p.Partition));

        await group.SettledAsync(5);
        await using (Producer producer = client.CreateProducer())
        {
            for (int p = 0; p < 5; p++)
            {
                string value = $"into-{p}";
                expected.Add(value);
                await producer.ProduceAsync("growing", null, Encoding.UTF8.GetBytes(value), partition: p);
            }
        }

        await group.AllProcessedAsync(expected);
        Assert.Empty(group.Violations);
    }

    [Fact]
    public async Task A_restarted_consumer_continues_from_the_groups_commits_also_after_a_full_cluster_restart()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        string serviceId = "groups-" + Guid.NewGuid().ToString("N")[..8];
        var all = new List<string>();
        var read = new List<string>();
        await using (BrokerCluster first = await BrokerCluster.StartOnAzuriteAsync(data.Path, azurite, serviceId, configureBroker: FastGroups))
        {
            OrleansStreamClient client = first.Client;
            await client.Admin.CreateTopicAsync("resume", partitions: 3);
            all.AddRange(await ProduceAsync(client, "resume", 0, 900));

            // A consumer reads 400 records, commits, and closes; its successor continues where it stopped.
            read.AddRange(await ReadAndCommitAsync(client, 400));
            read.AddRange(await ReadAndCommitAsync(client, 300));
            Assert.Equal(700, read.Distinct().Count());
        }

        await using BrokerCluster second = await BrokerCluster.StartOnAzuriteAsync(data.Path, azurite, serviceId, configureBroker: FastGroups);
        all.AddRange(await ProduceAsync(second.Client, "resume", 900, 300));
        read.AddRange(await ReadAndCommitAsync(second.Client, 500));

        Assert.Equal(all.Order(), read.Order()); // every record once: nothing skipped, nothing read twice across restarts
        ConsumerGroupDescription group = await second.Client.Admin.DescribeGroupAsync("resumers");
        Assert.Equal(0, group.TotalLag);
        Assert.Equal(1200, group.Partitions.Sum(p => p.CommittedOffset));
    }

    private static async Task<List<string>> ReadAndCommitAsync(OrleansStreamClient client, int count)
    {
        await using Consumer consumer = client.CreateConsumer(Options("resumers") with { EnableAutoCommit = false });
        await consumer.SubscribeAsync(["resume"]);
        List<ConsumeResult> records = await consumer.ReadAsync(count);
        await consumer.CommitAsync();
        return [.. records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span))];
    }
}

public sealed class GroupCoordinatorFailoverTests
{
    [Fact]
    public async Task The_group_coordinator_comes_back_on_another_silo_with_its_members_and_offsets_and_consumption_goes_on()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartSurvivingAsync(data.Path, azurite, configureBroker: broker =>
        {
            broker.GroupInitialRebalanceDelay = TimeSpan.FromMilliseconds(500);
            broker.GroupMinSessionTimeout = TimeSpan.FromSeconds(1);
        });
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("durable", partitions: 6, replicationFactor: 3, configs: new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        var expected = new HashSet<string>(await ConsumerGroupTests.ProduceAsync(client, "durable", 0, 600));

        var options = new ConsumerOptions
        {
            GroupId = "survivors",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeout = TimeSpan.FromSeconds(20), // longer than the silo's death takes to be noticed
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            AutoCommitInterval = TimeSpan.FromMilliseconds(300),
            FetchMaxWait = TimeSpan.FromMilliseconds(100),
        };
        await using var group = new GroupMembers(client, options, "durable");
        await group.StartAndSettleAsync(6, "x", "y");
        await group.AllProcessedAsync(expected);
        ConsumerGroupDescription before = await client.Admin.DescribeGroupAsync("survivors");
        await Eventually.TrueAsync(async () => (await client.Admin.DescribeGroupAsync("survivors")).TotalLag == 0, TimeSpan.FromSeconds(30), group.Describe);

        int host = await brokers.BrokerHostingAsync(GrainId.Create("ostream-group", "survivors"));
        Assert.NotEqual(-1, host);
        await brokers.KillBrokerAsync(host);
        expected.UnionWith(await ConsumerGroupTests.ProduceAsync(client, "durable", 600, 600));

        await group.AllProcessedAsync(expected, TimeSpan.FromSeconds(60));
        int newHost = await brokers.BrokerHostingAsync(GrainId.Create("ostream-group", "survivors"));
        Assert.NotEqual(host, newHost);

        ConsumerGroupDescription after = await client.Admin.DescribeGroupAsync("survivors");
        Assert.Equal(before.GenerationId, after.GenerationId); // the members carried on: no rebalance was needed
        Assert.Equal(before.Members.Select(m => m.MemberId).Order(), after.Members.Select(m => m.MemberId).Order());
        Assert.Empty(group.Violations);
        Assert.Equal(expected.Count, group.Processed.Count);
        await Eventually.TrueDespiteFaultsAsync(async () => (await client.Admin.DescribeGroupAsync("survivors")).TotalLag == 0, TimeSpan.FromSeconds(30), group.Describe);
    }
}
