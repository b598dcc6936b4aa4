using System.Diagnostics;
using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class PartitionGrainTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private OrleansStreamClient Client => shared.Brokers.Client;

    [Fact]
    public async Task Each_partition_is_served_on_its_leader_broker_from_that_brokers_data_directory()
    {
        TopicDescription topic = await Client.Admin.CreateTopicAsync("placed", partitions: 6);
        await using Producer producer = Client.CreateProducer();
        for (int p = 0; p < 6; p++)
        {
            await producer.ProduceAsync("placed", null, Encoding.UTF8.GetBytes($"p{p}"), partition: p);
        }

        foreach (PartitionDescription partition in topic.Partitions)
        {
            PartitionState state = await Client.Admin.DescribePartitionAsync(new TopicPartition("placed", partition.Partition));
            Assert.Equal(partition.Leader, state.BrokerId);
            Assert.Equal(1, state.HighWatermark);
            for (int broker = 0; broker < 3; broker++)
            {
                bool here = Directory.Exists(Path.Combine(shared.Brokers.DataRoot, $"broker-{broker}", $"placed-{partition.Partition}"));
                Assert.Equal(broker == partition.Leader, here);
            }
        }
    }

    [Fact]
    public async Task A_fetch_at_the_end_waits_for_new_records_without_holding_up_appends()
    {
        await Client.Admin.CreateTopicAsync("long-poll", partitions: 1);
        IPartitionGrain partition = shared.Brokers.Cluster.Client.GetGrain<IPartitionGrain>("long-poll/0");

        // Nothing arrives: the fetch returns empty after about maxWait.
        var clock = Stopwatch.StartNew();
        FetchResponse empty = await partition.Fetch(new FetchRequest(0, 1024, 400));
        Assert.Equal(ErrorCode.None, empty.Error);
        Assert.True(empty.Batches.IsEmpty);
        Assert.InRange(clock.ElapsedMilliseconds, 350, 4000);

        // A record arrives while a fetch waits: the append is not blocked behind it and the fetch wakes at once.
        clock.Restart();
        Task<FetchResponse> waiting = partition.Fetch(new FetchRequest(0, 1024, 4000));
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await using Producer producer = Client.CreateProducer();
        DeliveryResult delivered = await producer.ProduceAsync("long-poll", null, "wake up"u8.ToArray());
        FetchResponse woken = await waiting;
        Assert.True(clock.ElapsedMilliseconds < 3000, $"fetch took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, delivered.Offset);
        Assert.Equal(1, woken.HighWatermark);
        Assert.False(woken.Batches.IsEmpty);
    }

    [Fact]
    public async Task Batch_consumption_walks_the_fetched_bytes_in_place_from_the_asked_offset()
    {
        await Client.Admin.CreateTopicAsync("in-place", partitions: 1);
        await using Producer producer = Client.CreateProducer();
        var sent = Enumerable.Range(0, 500).Select(i => producer.ProduceAsync("in-place", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"value-{i}")).AsTask()).ToList();
        await Task.WhenAll(sent);

        await using Consumer consumer = Client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("in-place", 0, 123)]);
        var seen = new List<(long Offset, string Key, string Value)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (FetchedRecords fetched in consumer.ConsumeBatchesAsync(timeout.Token))
        {
            foreach (Storage.Record record in fetched)
            {
                seen.Add((record.Offset, Encoding.UTF8.GetString(record.Key), Encoding.UTF8.GetString(record.Value)));
            }

            Assert.Equal(seen[^1].Offset + 1, fetched.NextOffset);
            if (seen.Count == 500 - 123)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(123, 500 - 123).Select(i => ((long)i, $"k{i}", $"value-{i}")), seen);
    }

    [Fact]
    public async Task Keyless_records_stick_to_a_partition_per_batch_and_spread_over_all_of_them()
    {
        await Client.Admin.CreateTopicAsync("keyless", partitions: 3);
        await using Producer producer = Client.CreateProducer(new ProducerOptions { BatchSize = 4096 });
        DeliveryResult[] results = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => producer.ProduceAsync("keyless", null, new byte[100]).AsTask()));
        int[] perPartition = [.. Enumerable.Range(0, 3).Select(p => results.Count(r => r.Partition == p))];
        Assert.All(perPartition, count => Assert.InRange(count, 30, 570));

        // Sticky: consecutive records mostly share a partition (a switch only when a batch fills).
        int switches = results.Zip(results.Skip(1), (a, b) => a.Partition != b.Partition ? 1 : 0).Sum();
        Assert.InRange(switches, 2, 600 / 20);

        // The first records waited for metadata (the producer's pending path): their null keys stay null.
        await using Consumer consumer = Client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("keyless", results[0].Partition, results[0].Offset)]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (FetchedRecords fetched in consumer.ConsumeBatchesAsync(timeout.Token))
        {
            foreach (Storage.Record raw in fetched)
            {
                Assert.True(raw.IsKeyNull);
                break;
            }

            break;
        }

        await using Consumer consumer2 = Client.CreateConsumer();
        consumer2.Assign([new TopicPartitionOffset("keyless", results[0].Partition, results[0].Offset)]);
        await foreach (ConsumeResult record in consumer2.ConsumeAsync(timeout.Token))
        {
            Assert.Null(record.Key);
            Assert.Equal(100, record.Value!.Value.Length);
            break;
        }
    }

    [Fact]
    public async Task Null_and_empty_keys_values_and_header_values_stay_distinct_end_to_end()
    {
        await Client.Admin.CreateTopicAsync("nulls", partitions: 1);
        await using Producer producer = Client.CreateProducer();
        Storage.RecordHeader[] headers = [new("none", null), new("empty", ReadOnlyMemory<byte>.Empty), new("some", "x"u8.ToArray())];
        await producer.ProduceAsync("nulls", null, ReadOnlyMemory<byte>.Empty, headers, partition: 0);        // waits for metadata
        await producer.ProduceAsync("nulls", ReadOnlyMemory<byte>.Empty, null, headers, partition: 0);        // fast path

        await using Consumer consumer = Client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("nulls", 0, 0)]);
        var records = new List<ConsumeResult>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (ConsumeResult record in consumer.ConsumeAsync(timeout.Token))
        {
            records.Add(record);
            if (records.Count == 2)
            {
                break;
            }
        }

        Assert.Null(records[0].Key);
        Assert.True(records[0].Value is { Length: 0 });
        Assert.True(records[1].Key is { Length: 0 });
        Assert.Null(records[1].Value);
        foreach (ConsumeResult record in records)
        {
            Assert.Equal(["none", "empty", "some"], record.Headers.Select(h => h.Key));
            Assert.Null(record.Headers[0].Value);
            Assert.True(record.Headers[1].Value is { Length: 0 });
            Assert.Equal("x"u8.ToArray(), record.Headers[2].Value!.Value.ToArray());
        }
    }
}
