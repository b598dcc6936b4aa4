using System.Collections.Concurrent;
using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Xunit.Abstractions;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// The seed promise, tested with real faults: with RF=3, acks=all and min.insync.replicas=2, producers keep running
/// while the test kills the leader's silo, brings it back, and kills another leader. Afterwards every acknowledged
/// record is in the log exactly once, at its acknowledged offset, in per-key order, and nothing a consumer was
/// served during the faults has disappeared (it never saw anything above the high watermark).
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const string Topic = "payments";
    private const int Partitions = 3;
    private const int Keys = 12;

    [Fact]
    public async Task Killing_leaders_while_producing_loses_no_acknowledged_record_and_serves_nothing_that_is_later_lost()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartSurvivingAsync(data.Path, azurite);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync(Topic, Partitions, replicationFactor: 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        var acknowledged = new ConcurrentDictionary<string, DeliveryResult>();
        var failures = new ConcurrentBag<Exception>();
        var served = new ConcurrentDictionary<(int Partition, long Offset), string>();
        using var stop = new CancellationTokenSource();
        Task producing = ProduceUntilStoppedAsync(client, acknowledged, failures, stop.Token);
        Task watching = ConsumeUntilStoppedAsync(client, served, stop.Token);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await WaitForAcknowledgedAsync(acknowledged, partition: 0, 1_000);
        int first = (await client.Admin.DescribeTopicAsync(Topic)).Partitions[0].Leader;
        output.WriteLine($"{clock.Elapsed}: {acknowledged.Count} acknowledged; killing broker {first}, the leader of partition 0");
        await brokers.KillBrokerAsync(first);
        await WaitForNewLeaderAsync(client, partition: 0, replaced: first);
        output.WriteLine($"{clock.Elapsed}: partition 0 failed over");
        await WaitForAcknowledgedAsync(acknowledged, partition: 0, CountIn(acknowledged, 0) + 500); // writes go on after the failover

        output.WriteLine($"{clock.Elapsed}: {acknowledged.Count} acknowledged; restarting broker {first}");
        await brokers.StartBrokerAsync(first);
        for (int p = 0; p < Partitions; p++)
        {
            await ReplicaLogs.WaitForIsrAsync(brokers, new TopicPartition(Topic, p), 3);
        }

        int second = (await client.Admin.DescribeTopicAsync(Topic)).Partitions[1].Leader;
        output.WriteLine($"{clock.Elapsed}: every ISR is full again; killing broker {second}, the leader of partition 1");
        await brokers.KillBrokerAsync(second);
        await WaitForNewLeaderAsync(client, partition: 1, replaced: second);
        output.WriteLine($"{clock.Elapsed}: partition 1 failed over");
        await WaitForAcknowledgedAsync(acknowledged, partition: 1, CountIn(acknowledged, 1) + 500);
        output.WriteLine($"{clock.Elapsed}: {acknowledged.Count} acknowledged, {failures.Count} failed; stopping");
        foreach (string failure in failures.Select(f => f.Message).Distinct().Take(5))
        {
            output.WriteLine("  failure: " + failure);
        }

        await stop.CancelAsync();
        await producing;
        await watching;

        // Everything the topic holds now, read from offset 0 up to each partition's high watermark.
        var log = new Dictionary<(int Partition, long Offset), (string Key, string Value)>();
        await using (Consumer consumer = client.CreateConsumer())
        {
            long total = 0;
            for (int p = 0; p < Partitions; p++)
            {
                total += await client.Admin.ListOffsetAsync(new TopicPartition(Topic, p), OffsetSpec.Latest);
            }

            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, 0)));
            foreach (ConsumeResult record in await consumer.ReadAsync((int)total, TimeSpan.FromSeconds(60)))
            {
                log[(record.TopicPartition.Partition, record.Offset)] = (Encoding.UTF8.GetString(record.Key!.Value.Span), Encoding.UTF8.GetString(record.Value!.Value.Span));
            }
        }

        // Each value once (the idempotent producer's retries across failovers were recognised), every acknowledged
        // record where its acknowledgement said, each key in produce order.
        AcknowledgedRecords.AssertExactlyOnceInKeyOrder(log, acknowledged.Select(a => (a.Value.Partition, a.Value.Offset, a.Key)));

        // Whatever a consumer was served during the faults is still there: nothing above the high watermark was served.
        foreach (((int partition, long offset), string value) in served)
        {
            Assert.True(log.TryGetValue((partition, offset), out var now) && now.Value == value, $"{value} was served at {partition}@{offset}, which now holds {(log.TryGetValue((partition, offset), out var x) ? x.Value : "nothing")}.");
        }
    }

    private static async Task ProduceUntilStoppedAsync(OrleansStreamClient client, ConcurrentDictionary<string, DeliveryResult> acknowledged, ConcurrentBag<Exception> failures, CancellationToken stop)
    {
        var options = new ProducerOptions
        {
            BatchSize = 16 * 1024,
            Linger = TimeSpan.FromMilliseconds(2),
            DeliveryTimeout = TimeSpan.FromSeconds(120),
            RetryBackoff = TimeSpan.FromMilliseconds(50),
            RetryBackoffMax = TimeSpan.FromMilliseconds(500),
        };
        using var window = new SemaphoreSlim(2_000);
        var pending = new List<Task>();
        await using (Producer producer = client.CreateProducer(options))
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                await window.WaitAsync(CancellationToken.None);
                string value = $"v{i}";
                pending.Add(TrackAsync(producer.ProduceAsync(Topic, Encoding.UTF8.GetBytes($"k{i % Keys}"), Encoding.UTF8.GetBytes(value), cancellationToken: CancellationToken.None).AsTask(), value));
                if (i % 200 == 0)
                {
                    await Task.Delay(5, CancellationToken.None); // a steady trickle, not a flood: the faults are the point
                }
            }

            await producer.FlushAsync(CancellationToken.None);
        }

        await Task.WhenAll(pending);

        async Task TrackAsync(Task<DeliveryResult> delivery, string value)
        {
            try
            {
                acknowledged[value] = await delivery;
            }
            catch (Exception error)
            {
                failures.Add(error); // allowed: not acknowledged, so not promised
            }
            finally
            {
                window.Release();
            }
        }
    }

    private static async Task ConsumeUntilStoppedAsync(OrleansStreamClient client, ConcurrentDictionary<(int, long), string> served, CancellationToken stop)
    {
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, 0)));
        try
        {
            await foreach (ConsumeResult record in consumer.ConsumeAsync(stop))
            {
                served[(record.TopicPartition.Partition, record.Offset)] = Encoding.UTF8.GetString(record.Value!.Value.Span);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static int CountIn(ConcurrentDictionary<string, DeliveryResult> acknowledged, int partition) =>
        acknowledged.Values.Count(d => d.Partition == partition);

    private static Task WaitForAcknowledgedAsync(ConcurrentDictionary<string, DeliveryResult> acknowledged, int partition, int count) =>
        Eventually.TrueAsync(() => Task.FromResult(CountIn(acknowledged, partition) >= count), TimeSpan.FromSeconds(90),
            () => $"{count} acknowledged records in partition {partition} (have {CountIn(acknowledged, partition)})");

    private static Task WaitForNewLeaderAsync(OrleansStreamClient client, int partition, int replaced) =>
        Eventually.TrueDespiteFaultsAsync(async () => (await client.Admin.DescribeTopicAsync(Topic)).Partitions[partition].Leader is int leader && leader != replaced && leader >= 0,
            TimeSpan.FromSeconds(90), () => $"partition {partition} to get a leader other than broker {replaced}");
}
