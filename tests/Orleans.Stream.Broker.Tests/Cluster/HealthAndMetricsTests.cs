using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Health;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// What an operator sees follows what the cluster does: a follower cut off from its leader makes the leader
/// Degraded (under-replicated), the follower not ready (catching up), and the meters show the lag and the ISR
/// change; once it has caught up, every broker is ready and healthy again. Produce, fetch and group lag are counted
/// per topic and group.
/// </summary>
public sealed class HealthAndMetricsTests
{
    [Fact]
    public async Task Health_and_replication_meters_follow_a_follower_that_is_cut_off_and_catches_up()
    {
        using var meters = new MeterRecorder(BrokerMetrics.MeterName);
        using var data = new TempDirectory();
        var faults = new ReplicationFaults();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path,
            configureSilo: silo => silo.AddIncomingGrainCallFilter(faults.InvokeAsync),
            configureBroker: broker => broker.ReplicaLagTimeMax = TimeSpan.FromSeconds(2));
        TopicDescription topic = await brokers.Client.Admin.CreateTopicAsync("watched", partitions: 1, replicationFactor: 3);
        var partition = new TopicPartition("watched", 0);
        int leader = topic.Partitions[0].Leader;
        int[] followers = [.. topic.Partitions[0].Replicas.Where(replica => replica != leader)];
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 3);
        await WaitForStatusAsync(brokers, leader, ReplicationHealthCheck.Name, HealthStatus.Healthy);
        foreach (int broker in brokers.BrokerIds)
        {
            await WaitForStatusAsync(brokers, broker, BrokerReadinessHealthCheck.Name, HealthStatus.Healthy);
        }

        IPartitionGrain grain = brokers.Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        Assert.Equal(ErrorCode.None, (await grain.Produce(Request(10, Acks.All))).Error);
        Assert.Equal(10, meters.Sum("ostream.produce.records", BrokerMetrics.TopicTag, "watched"));
        FetchResponse fetched = await grain.Fetch(new FetchRequest(0, 1 << 20, 0));
        Assert.Equal(ErrorCode.None, fetched.Error);
        Assert.Equal(10, meters.Sum("ostream.fetch.records", BrokerMetrics.TopicTag, "watched"));
        Assert.Equal(fetched.Batches.Memory.Length, meters.Sum("ostream.fetch.bytes", BrokerMetrics.TopicTag, "watched"));
        fetched.Batches.Release();

        // (Per-broker gauges are read from the leader's own registry: parallel tests run other clusters with the same broker ids.)
        LeaderStatus status = brokers.ServicesOf(leader).GetRequiredService<LeaderRegistry>().Leaders.Single(l => l.Partition == partition);
        Assert.False(status.IsUnderReplicated);
        Assert.Equal(0, meters.Observe("ostream.replication.lag", (BrokerMetrics.TopicTag, "watched"), (BrokerMetrics.BrokerTag, leader)));

        // The followers are cut off; the leader writes on alone and shrinks the ISR to itself.
        faults.Blocked = true;
        Assert.Equal(ErrorCode.None, (await grain.Produce(Request(5, Acks.Leader))).Error);
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 1, TimeSpan.FromSeconds(30));

        HealthReportEntry degraded = await WaitForStatusAsync(brokers, leader, ReplicationHealthCheck.Name, HealthStatus.Degraded);
        Assert.Equal("watched/0", degraded.Data["underReplicated"]);
        foreach (int follower in followers)
        {
            HealthReportEntry catchingUp = await WaitForStatusAsync(brokers, follower, BrokerReadinessHealthCheck.Name, HealthStatus.Unhealthy);
            Assert.Contains("watched/0", (string)catchingUp.Data["catchingUp"], StringComparison.Ordinal);
            Assert.Contains("catching up", catchingUp.Description, StringComparison.Ordinal);
        }

        await WaitForStatusAsync(brokers, leader, BrokerReadinessHealthCheck.Name, HealthStatus.Healthy); // the leader itself serves
        Assert.True(status.IsUnderReplicated);
        Assert.False(status.IsUnderMinIsr); // min.insync.replicas=1
        Assert.Equal(5, meters.Observe("ostream.replication.lag", (BrokerMetrics.TopicTag, "watched"), (BrokerMetrics.BrokerTag, leader)));
        Assert.True(meters.Sum("ostream.isr.shrinks", BrokerMetrics.TopicTag, "watched") >= 1);

        // Back in touch: the followers catch up, rejoin, and everything is green again.
        faults.Blocked = false;
        await ReplicaLogs.WaitForIsrAsync(brokers, partition, 3, TimeSpan.FromSeconds(30));
        await WaitForStatusAsync(brokers, leader, ReplicationHealthCheck.Name, HealthStatus.Healthy);
        foreach (int broker in brokers.BrokerIds)
        {
            await WaitForStatusAsync(brokers, broker, BrokerReadinessHealthCheck.Name, HealthStatus.Healthy);
        }

        Assert.False(status.IsUnderReplicated);
        await Eventually.TrueAsync(
            () => Task.FromResult(meters.Observe("ostream.replication.lag", (BrokerMetrics.TopicTag, "watched"), (BrokerMetrics.BrokerTag, leader)) == 0),
            TimeSpan.FromSeconds(10), () => "no replication lag");
        Assert.True(meters.Sum("ostream.isr.expands", BrokerMetrics.TopicTag, "watched") >= 1);
    }

    [Fact]
    public async Task A_consumer_groups_lag_is_the_high_watermark_minus_its_committed_offsets()
    {
        using var meters = new MeterRecorder(BrokerMetrics.MeterName);
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path,
            configureBroker: broker => broker.GroupLagInterval = TimeSpan.FromMilliseconds(300));
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("lagged", partitions: 2, replicationFactor: 1);
        await using (Producer producer = client.CreateProducer(new ProducerOptions { Acks = Acks.All }))
        {
            for (int i = 0; i < 30; i++)
            {
                await producer.ProduceAsync("lagged", Encoding.UTF8.GetBytes($"key-{i}"), Encoding.UTF8.GetBytes($"value-{i}"));
            }
        }

        await using Consumer member = client.CreateConsumer(new ConsumerOptions { GroupId = "billing", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false });
        await member.SubscribeAsync(["lagged"]);
        await Eventually.TrueAsync(() => Task.FromResult(member.Assignment.Count == 2), TimeSpan.FromSeconds(30), () => "both partitions assigned");
        await member.CommitAsync([new TopicPartitionOffset("lagged", 0, 0), new TopicPartitionOffset("lagged", 1, 0)]);
        await Eventually.TrueAsync(
            () => Task.FromResult(meters.Observe("ostream.group.lag", (BrokerMetrics.GroupTag, "billing"), (BrokerMetrics.TopicTag, "lagged")) == 30),
            TimeSpan.FromSeconds(30), () => $"lag 30, got {meters.Observe("ostream.group.lag", (BrokerMetrics.GroupTag, "billing"), (BrokerMetrics.TopicTag, "lagged"))}");

        IReadOnlyList<TopicPartitionOffset> ends =
        [
            new TopicPartitionOffset("lagged", 0, await client.Admin.ListOffsetAsync(new TopicPartition("lagged", 0), OffsetSpec.Latest)),
            new TopicPartitionOffset("lagged", 1, await client.Admin.ListOffsetAsync(new TopicPartition("lagged", 1), OffsetSpec.Latest)),
        ];
        await member.CommitAsync([ends[0], new TopicPartitionOffset("lagged", 1, ends[1].Offset - 4)]);
        await Eventually.TrueAsync(
            () => Task.FromResult(meters.Observe("ostream.group.lag", (BrokerMetrics.GroupTag, "billing"), (BrokerMetrics.TopicTag, "lagged")) == 4),
            TimeSpan.FromSeconds(30), () => $"lag 4, got {meters.Observe("ostream.group.lag", (BrokerMetrics.GroupTag, "billing"), (BrokerMetrics.TopicTag, "lagged"))}");
    }

    private static async Task<HealthReportEntry> WaitForStatusAsync(BrokerCluster brokers, int brokerId, string check, HealthStatus status)
    {
        HealthReportEntry entry = default;
        await Eventually.TrueAsync(async () =>
        {
            HealthReport report = await brokers.ServicesOf(brokerId).GetRequiredService<HealthCheckService>()
                .CheckHealthAsync(registration => registration.Name == check);
            entry = report.Entries[check];
            return entry.Status == status;
        }, TimeSpan.FromSeconds(30), () => $"broker {brokerId}'s {check} to be {status} (is {entry.Status}: {entry.Description})");
        return entry;
    }

    private static ProduceRequest Request(int records, Acks acks)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < records; i++)
        {
            builder.Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes($"record-{i}"));
        }

        return new ProduceRequest(new BatchPayload(builder.Build().ToArray()), acks);
    }
}
