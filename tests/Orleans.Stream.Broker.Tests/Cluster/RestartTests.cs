using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class RestartTests
{
    [Fact]
    public async Task A_full_cluster_restart_keeps_topics_partitions_and_every_record_and_offsets_continue()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        string serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];

        var firstOffsets = new Dictionary<string, DeliveryResult>();
        await using (BrokerCluster first = await BrokerCluster.StartOnAzuriteAsync(data.Path, azurite, serviceId))
        {
            OrleansStreamClient client = first.Client;
            await client.Admin.CreateTopicAsync("events", partitions: 3, configs: new Dictionary<string, string> { ["retention.ms"] = "-1" });
            await client.Admin.CreateTopicAsync("audit", partitions: 1);
            await using Producer producer = client.CreateProducer();
            for (int i = 0; i < 300; i++)
            {
                firstOffsets[$"e{i}"] = await producer.ProduceAsync("events", Encoding.UTF8.GetBytes($"k{i % 7}"), Encoding.UTF8.GetBytes($"e{i}"));
            }

            firstOffsets["a0"] = await producer.ProduceAsync("audit", null, Encoding.UTF8.GetBytes("a0"));
        }

        await using BrokerCluster second = await BrokerCluster.StartOnAzuriteAsync(data.Path, azurite, serviceId);
        OrleansStreamClient restarted = second.Client;
        Assert.Equal(["audit", "events"], await restarted.Admin.ListTopicsAsync());
        TopicDescription events = await restarted.Admin.DescribeTopicAsync("events");
        Assert.Equal(3, events.Partitions.Length);
        Assert.Equal("-1", events.Configs["retention.ms"]);

        // Every record is still there, at its offset.
        await using Consumer consumer = restarted.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("events", p, OffsetSpec.Earliest)));
        List<ConsumeResult> all = await consumer.ReadAsync(300);
        Assert.Equal(300, all.Count);
        foreach (ConsumeResult record in all)
        {
            string value = Encoding.UTF8.GetString(record.Value!.Value.Span);
            Assert.Equal(firstOffsets[value].Partition, record.Partition);
            Assert.Equal(firstOffsets[value].Offset, record.Offset);
        }

        // Offsets continue where they ended.
        await using Producer again = restarted.CreateProducer();
        DeliveryResult next = await again.ProduceAsync("audit", null, Encoding.UTF8.GetBytes("a1"));
        Assert.Equal(firstOffsets["a0"].Offset + 1, next.Offset);
    }
}
