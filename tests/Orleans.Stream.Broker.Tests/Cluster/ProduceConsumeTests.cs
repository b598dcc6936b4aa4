using System.Collections.Concurrent;
using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.Partitioning;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class ProduceConsumeTests
{
    [Fact]
    public async Task Keyed_records_from_concurrent_producers_all_come_back_once_in_key_order_on_murmur2_partitions()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path);
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("orders", partitions: 6);

        // Leaders spread evenly: 2 partitions per broker.
        Assert.All(topic.Partitions.GroupBy(p => p.Leader), g => Assert.Equal(2, g.Count()));

        const int producers = 4;
        const int perProducer = 25_000;
        var produced = new ConcurrentDictionary<string, DeliveryResult>();
        await Parallel.ForEachAsync(Enumerable.Range(0, producers), async (p, ct) =>
        {
            await using Producer producer = client.CreateProducer();
            var pending = new List<(string Id, Task<DeliveryResult> Delivery)>(perProducer);
            for (int i = 0; i < perProducer; i++)
            {
                string id = $"{p}:{i}";
                pending.Add((id, producer.ProduceAsync("orders", KeyOf(p, i), ValueOf(p, i), [new RecordHeader("id", Encoding.UTF8.GetBytes(id))], cancellationToken: ct).AsTask()));
            }

            foreach ((string id, Task<DeliveryResult> delivery) in pending)
            {
                produced[id] = await delivery;
            }
        });

        Assert.Equal(producers * perProducer, produced.Count);

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset("orders", p, 0)));
        var seen = new Dictionary<string, ConsumeResult>();
        var lastSeqPerKey = new Dictionary<string, int>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (ConsumeResult record in consumer.ConsumeAsync(timeout.Token))
        {
            string id = Encoding.UTF8.GetString(record.Headers.Single(h => h.Key == "id").Value!.Value.Span);
            Assert.True(seen.TryAdd(id, record), $"record {id} delivered twice");
            (int p, int i) = Parse(id);
            Assert.Equal(KeyOf(p, i), record.Key!.Value.ToArray());
            Assert.Equal(ValueOf(p, i), record.Value!.Value.ToArray());
            Assert.Equal(KeyPartitioner.PartitionFor(KeyOf(p, i), 6), record.Partition);
            Assert.Equal(produced[id].Partition, record.Partition);
            Assert.Equal(produced[id].Offset, record.Offset);

            string key = Encoding.UTF8.GetString(KeyOf(p, i));
            Assert.True(!lastSeqPerKey.TryGetValue(key, out int last) || last < i, $"key {key}: {i} after {last}");
            lastSeqPerKey[key] = i;
            if (seen.Count == producers * perProducer)
            {
                break;
            }
        }

        Assert.Equal(producers * perProducer, seen.Count);
    }

    private static byte[] KeyOf(int producer, int i) => Encoding.UTF8.GetBytes($"p{producer}-key-{i % 250}");

    private static byte[] ValueOf(int producer, int i)
    {
        var value = new byte[64 + (i % 64)];
        new Random(HashCode.Combine(producer, i)).NextBytes(value);
        return value;
    }

    private static (int Producer, int Index) Parse(string id)
    {
        int colon = id.IndexOf(':');
        return (int.Parse(id[..colon]), int.Parse(id[(colon + 1)..]));
    }
}
