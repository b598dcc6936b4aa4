using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;

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
        var producerIds = new HashSet<long>();
        byte[] idempotentBatch = IdempotentBatch(producerId: 1_000_000, "once");
        ProduceResponse original;
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
            original = await first.Cluster.Client.GetGrain<IPartitionGrain>("audit/0").Produce(new ProduceRequest(new BatchPayload(idempotentBatch), Acks.All));
            Assert.Equal(ErrorCode.None, original.Error);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(producerIds.Add(await first.Cluster.Client.GetGrain<IControllerGrain>(0).AllocateProducerId()));
            }
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

        // An idempotent producer's retry across the restart is recognised (producer state came back with the log),
        // and no producer id is handed out twice.
        ProduceResponse retried = await second.Cluster.Client.GetGrain<IPartitionGrain>("audit/0").Produce(new ProduceRequest(new BatchPayload(idempotentBatch), Acks.All));
        Assert.Equal((ErrorCode.None, original.BaseOffset), (retried.Error, retried.BaseOffset));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(producerIds.Add(await second.Cluster.Client.GetGrain<IControllerGrain>(0).AllocateProducerId()));
        }

        // Offsets continue where they ended.
        await using Producer again = restarted.CreateProducer();
        DeliveryResult next = await again.ProduceAsync("audit", null, Encoding.UTF8.GetBytes("a1"));
        Assert.Equal(original.BaseOffset + 1, next.Offset);
    }

    private static byte[] IdempotentBatch(long producerId, string value)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(1, null, Encoding.UTF8.GetBytes(value));
        return builder.Build().ToArray();
    }
}
