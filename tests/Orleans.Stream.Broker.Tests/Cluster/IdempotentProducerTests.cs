using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// The idempotent producer against brokers whose produce requests are lost before and after the append: every
/// record lands exactly once, in per-key order, at the offset its delivery reported; without idempotence the same
/// faults write duplicates (which is what makes the first test able to fail).
/// </summary>
public sealed class IdempotentProducerTests
{
    private const string Topic = "payments";
    private const int Keys = 16;
    private const int Records = 6_000;

    private static async Task<(BrokerCluster Brokers, ProduceFaults Faults)> StartAsync(TempDirectory data)
    {
        var faults = new ProduceFaults(loseRequestEvery: 11, loseResponseEvery: 7);
        BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureSilo: silo => silo.AddIncomingGrainCallFilter(faults.InvokeAsync));
        await brokers.Client.Admin.CreateTopicAsync(Topic, partitions: 4);
        return (brokers, faults);
    }

    private static ProducerOptions Options(bool idempotent) => new()
    {
        EnableIdempotence = idempotent,
        BatchSize = 4096, // many small batches, so many requests are in flight and many are hit
        Linger = TimeSpan.FromMilliseconds(1),
        RetryBackoff = TimeSpan.FromMilliseconds(5),
        RetryBackoffMax = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<Dictionary<string, DeliveryResult>> ProduceAsync(OrleansStreamClient client, ProducerOptions options)
    {
        var deliveries = new List<(string Id, Task<DeliveryResult> Delivery)>(Records);
        await using (Producer producer = client.CreateProducer(options))
        {
            for (int i = 0; i < Records; i++)
            {
                string id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                deliveries.Add((id, producer.ProduceAsync(Topic, Encoding.UTF8.GetBytes($"key-{i % Keys}"), Encoding.UTF8.GetBytes($"value-{id}"),
                    [new RecordHeader("id", Encoding.UTF8.GetBytes(id))]).AsTask()));
            }

            await producer.FlushAsync();
        }

        var results = new Dictionary<string, DeliveryResult>();
        foreach ((string id, Task<DeliveryResult> delivery) in deliveries)
        {
            results[id] = await delivery;
        }

        return results;
    }

    /// <summary>Everything in the topic, up to each partition's current end.</summary>
    private static async Task<List<ConsumeResult>> ReadAllAsync(OrleansStreamClient client)
    {
        long total = 0;
        for (int p = 0; p < 4; p++)
        {
            total += await client.Admin.ListOffsetAsync(new TopicPartition(Topic, p), OffsetSpec.Latest);
        }

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(Topic, p, 0)));
        return await consumer.ReadAsync((int)total, TimeSpan.FromSeconds(60));
    }

    private static string IdOf(ConsumeResult record) => Encoding.UTF8.GetString(record.Headers.Single(h => h.Key == "id").Value!.Value.Span);

    [Fact]
    public async Task Lost_requests_and_lost_acknowledgements_write_every_record_exactly_once_in_key_order()
    {
        using var data = new TempDirectory();
        (BrokerCluster brokers, ProduceFaults faults) = await StartAsync(data);
        await using (brokers)
        {
            OrleansStreamClient client = brokers.Client;
            Dictionary<string, DeliveryResult> delivered = await ProduceAsync(client, Options(idempotent: true));
            faults.Enabled = false;
            Assert.True(faults.RequestsLost > 3 && faults.ResponsesLost > 3, $"too few faults hit: {faults.RequestsLost} requests, {faults.ResponsesLost} responses");
            Assert.Equal(1, faults.ProducerIdsAllocated); // lost messages alone never break a sequence

            List<ConsumeResult> records = await ReadAllAsync(client);
            Assert.True(Records == records.Count,
                $"{records.Count} records in the log, {records.Select(IdOf).Distinct().Count()} distinct; " +
                $"duplicated: {string.Join(",", records.GroupBy(IdOf).Where(g => g.Count() > 1).Take(10).Select(g => g.Key + "@" + string.Join("/", g.Select(r => $"{r.Partition}:{r.Offset}"))))}");
            var seen = new HashSet<string>();
            var lastPerKey = new Dictionary<string, int>();
            foreach (ConsumeResult record in records)
            {
                string id = IdOf(record);
                Assert.True(seen.Add(id), $"record {id} was written twice");
                Assert.Equal((delivered[id].Partition, delivered[id].Offset), (record.Partition, record.Offset));
                Assert.Equal($"value-{id}", Encoding.UTF8.GetString(record.Value!.Value.Span));

                string key = Encoding.UTF8.GetString(record.Key!.Value.Span);
                int index = int.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(!lastPerKey.TryGetValue(key, out int previous) || previous < index, $"key {key}: record {index} came after {previous}");
                lastPerKey[key] = index;
            }
        }
    }

    [Fact]
    public async Task A_record_whose_requests_are_all_lost_fails_after_the_delivery_timeout_counted_from_its_batch()
    {
        using var data = new TempDirectory();
        var faults = new ProduceFaults(loseRequestEvery: 1, loseResponseEvery: int.MaxValue);
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureSilo: silo => silo.AddIncomingGrainCallFilter(faults.InvokeAsync));
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync(Topic, partitions: 1);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await using (Producer producer = client.CreateProducer(new ProducerOptions
        {
            DeliveryTimeout = TimeSpan.FromSeconds(2), RetryBackoff = TimeSpan.FromMilliseconds(20), RetryBackoffMax = TimeSpan.FromMilliseconds(200),
        }))
        {
            var error = await Assert.ThrowsAsync<OrleansStreamException>(async () => await producer.ProduceAsync(Topic, null, new byte[] { 1 }));
            Assert.Equal(ErrorCode.RequestTimedOut, error.Code);
        }

        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        Assert.True(faults.RequestsLost >= 3, $"only {faults.RequestsLost} attempts");
        faults.Enabled = false;
        Assert.Equal(0, await client.Admin.ListOffsetAsync(new TopicPartition(Topic, 0), OffsetSpec.Latest));
    }

    [Fact]
    public async Task Without_idempotence_the_same_lost_acknowledgements_write_duplicates()
    {
        using var data = new TempDirectory();
        (BrokerCluster brokers, ProduceFaults faults) = await StartAsync(data);
        await using (brokers)
        {
            OrleansStreamClient client = brokers.Client;
            await ProduceAsync(client, Options(idempotent: false));
            faults.Enabled = false;

            List<ConsumeResult> records = await ReadAllAsync(client);
            int distinct = records.Select(IdOf).Distinct().Count();
            Assert.Equal(Records, distinct);
            Assert.True(records.Count > Records, "a lost acknowledgement was retried without writing a duplicate: the fault did not bite");
        }
    }
}
