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
}
