using System.Text;
using Orleans.Stream.Client;
using Orleans.Stream.EndToEnd.Tests.Support;
using Xunit.Abstractions;
using Kafka = Confluent.Kafka;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>Failover under a Kafka client: a broker process SIGKILLed while an idempotent acks=all Confluent.Kafka producer runs.</summary>
public sealed class KafkaFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_broker_killed_under_an_idempotent_acks_all_kafka_producer_loses_and_duplicates_nothing()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path); // its own: a broker is killed
        await using OrleansStreamConnection connection = await cluster.ConnectWhenAllJoinedAsync();
        await connection.Client.Admin.CreateTopicAsync("kafka-failover", 3, replicationFactor: 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        // The producer sends at a steady pace for ~15 s; broker 0 (leader of a partition) is SIGKILLed 4 s in and
        // restarted 3 s later. librdkafka retries on its own (idempotence keeps the retries from writing twice).
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<(int Partition, long Offset, string Value)>();
        int failed = 0;
        Kafka.ProducerConfig config = KafkaClientTests.ProducerConfig(cluster);
        config.MessageTimeoutMs = 120_000;
        Task killer = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            await cluster.KillAsync(0);
            output.WriteLine("killed broker 0");
            await Task.Delay(TimeSpan.FromSeconds(3));
            cluster.Start(0);
        });
        using (Kafka.IProducer<string, string> producer = new Kafka.ProducerBuilder<string, string>(config).Build())
        {
            for (int i = 0; i < 4500; i++)
            {
                string value = $"v{i}";
                producer.Produce("kafka-failover", new Kafka.Message<string, string> { Key = $"k{i % 16}", Value = value }, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    else
                    {
                        acknowledged.Add((report.Partition.Value, report.Offset.Value, value));
                    }
                });
                if (i % 30 == 29)
                {
                    await Task.Delay(100); // ~300 records/s
                }
            }

            await killer;
            producer.Flush(TimeSpan.FromSeconds(120));
        }

        Assert.Equal(0, failed);
        Assert.Equal(4500, acknowledged.Count);

        // Everything the topic holds (exactly as many records as were sent: no duplicate), once, at the acknowledged
        // offsets, each key in order.
        long held = 0;
        for (int p = 0; p < 3; p++)
        {
            held += await connection.Client.Admin.ListOffsetAsync(new TopicPartition("kafka-failover", p), OffsetSpec.Latest);
        }

        Assert.Equal(4500, held);
        var log = new Dictionary<(int Partition, long Offset), (string Key, string Value)>();
        await using (Consumer reader = connection.Client.CreateConsumer())
        {
            reader.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("kafka-failover", p, 0)));
            foreach (ConsumeResult record in await reader.ReadAsync(4500, TimeSpan.FromSeconds(60)))
            {
                log[(record.Partition, record.Offset)] = (Encoding.UTF8.GetString(record.Key!.Value.Span), Encoding.UTF8.GetString(record.Value!.Value.Span));
            }
        }

        AcknowledgedRecords.AssertExactlyOnceInKeyOrder(log, acknowledged);
    }
}
