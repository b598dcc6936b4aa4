using System.Text;
using Orleans.Stream.EndToEnd.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>Broker processes killed with SIGKILL while producers write to them.</summary>
public sealed class BrokerCrashTests
{
    [Fact]
    public async Task Every_record_acknowledged_before_a_broker_process_is_killed_hard_is_there_after_it_restarts()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path);
        await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(cluster.Gateways, cluster.ClusterId);
        OrleansStreamClient client = connection.Client;
        await client.Admin.CreateTopicAsync("durable", partitions: 3); // flush.policy=group-commit: acked means fsynced

        TopicDescription topic = await client.Admin.DescribeTopicAsync("durable");
        int victim = topic.Partitions[0].Leader;
        int leaders = topic.Partitions.Select(p => p.Leader).Distinct().Count();
        var acknowledged = new List<(DeliveryResult Result, string Value)>();
        var unacknowledged = 0;
        await using (Producer producer = client.CreateProducer(new ProducerOptions { DeliveryTimeout = TimeSpan.FromSeconds(90) }))
        {
            // Partition requests travel over the client's own connection to each leader (no gateway-to-gateway hop).
            await Eventually.TrueAsync(
                async () => await WarmUpAsync(producer, 0) && await WarmUpAsync(producer, 1) && await WarmUpAsync(producer, 2) && client.DirectConnections == leaders,
                TimeSpan.FromSeconds(20),
                () => $"direct connections to all {leaders} leaders (last failure: {client.LastDirectConnectionFailure})");

            var inFlight = new List<(Task<DeliveryResult> Task, string Value)>();
            for (int i = 0; i < 3000; i++)
            {
                string value = $"record-{i}";
                inFlight.Add((producer.ProduceAsync("durable", null, Encoding.UTF8.GetBytes(value), partition: i % 3).AsTask(), value));
                if (i == 1500)
                {
                    await Task.Delay(200); // let some of the first half be acknowledged, then pull the plug mid-stream
                    await cluster.KillAsync(victim);
                    cluster.Start(victim);
                }
            }

            foreach ((Task<DeliveryResult> task, string value) in inFlight)
            {
                try
                {
                    acknowledged.Add((await task, value));
                }
                catch (OrleansStreamException)
                {
                    unacknowledged++;
                }
            }
        }

        Assert.True(acknowledged.Count > 2000, $"only {acknowledged.Count} acknowledged, {unacknowledged} failed");

        // Read everything back: every acknowledged record sits at the offset its acknowledgement named, with its bytes.
        await ConsumerReads.AssertAcknowledgedAsync(client, "durable", 3, acknowledged);

        // The connection to the killed broker was lost with it; in use, the client opens one to the restarted process.
        await using Producer again = client.CreateProducer();
        await Eventually.TrueAsync(
            async () => await WarmUpAsync(again, 0) && client.DirectConnections == leaders,
            TimeSpan.FromSeconds(60),
            () => $"a direct connection to the restarted broker (last failure: {client.LastDirectConnectionFailure})");
    }

    /// <summary>One record to the partition, acknowledged: traffic that makes the client open its connection to the leader.</summary>
    private static async Task<bool> WarmUpAsync(Producer producer, int partition)
    {
        await producer.ProduceAsync("durable", null, "warm-up"u8.ToArray(), partition: partition).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return true;
    }
}
