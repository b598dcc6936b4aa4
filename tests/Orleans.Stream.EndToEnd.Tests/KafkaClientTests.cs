using System.Text;
using Kafka = Confluent.Kafka;
using Orleans.Stream.Client;
using Orleans.Stream.EndToEnd.Tests.Support;
using Orleans.Stream.Storage;
using Xunit.Abstractions;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>
/// Existing Kafka clients, unchanged, against the brokers' Kafka listeners: Confluent.Kafka (librdkafka) produces
/// with acks=all and idempotence and consumes everything back, and records cross between it and the grain client
/// with identical key, value, headers, timestamp and offset.
/// </summary>
public sealed class KafkaClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_confluent_producer_and_consumer_get_every_record_through_the_kafka_port_and_meet_the_grain_client()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path);
        await using OrleansStreamConnection connection = await cluster.ConnectWhenAllJoinedAsync();
        OrleansStreamClient client = connection.Client;
        await client.Admin.CreateTopicAsync("kafka-orders", 6, replicationFactor: 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        // Confluent producer: idempotent, acks=all, Kafka's murmur2 partitioner (librdkafka's default is CRC32-based).
        const int Count = 3000;
        var sent = new Dictionary<string, (int Partition, long Offset, long Timestamp)>();
        using (Kafka.IProducer<string, string> producer = new Kafka.ProducerBuilder<string, string>(ProducerConfig(cluster)).Build())
        {
            var deliveries = new List<Task<Kafka.DeliveryResult<string, string>>>(Count);
            long baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10_000;
            for (int i = 0; i < Count; i++)
            {
                var message = new Kafka.Message<string, string>
                {
                    Key = $"key-{i % 40}",
                    Value = $"value-{i}",
                    Timestamp = new Kafka.Timestamp(baseTime + i, Kafka.TimestampType.CreateTime),
                    Headers = new Kafka.Headers { { "n", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) } },
                };
                deliveries.Add(producer.ProduceAsync("kafka-orders", message));
            }

            foreach (Kafka.DeliveryResult<string, string> delivery in await Task.WhenAll(deliveries))
            {
                Assert.Equal(Kafka.PersistenceStatus.Persisted, delivery.Status);
                sent[delivery.Message.Value] = (delivery.Partition.Value, delivery.Offset.Value, delivery.Message.Timestamp.UnixTimestampMs);
            }
        }

        // A key lands where the grain client's partitioner puts it too.
        await using (Producer grainProducer = client.CreateProducer(new ProducerOptions { Acks = Acks.All }))
        {
            DeliveryResult same = await grainProducer.ProduceAsync("kafka-orders", Encoding.UTF8.GetBytes("key-7"), Encoding.UTF8.GetBytes("from-grain-client"));
            Assert.Equal(sent["value-7"].Partition, same.Partition);
        }

        // Confluent consumer, assigned every partition from the start: every record, once, as sent.
        using (Kafka.IConsumer<string, string> consumer = new Kafka.ConsumerBuilder<string, string>(ConsumerConfig(cluster)).Build())
        {
            consumer.Assign(Enumerable.Range(0, 6).Select(p => new Kafka.TopicPartitionOffset("kafka-orders", p, Kafka.Offset.Beginning)));
            var seen = new Dictionary<string, Kafka.ConsumeResult<string, string>>();
            var lastPerKey = new Dictionary<string, int>();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (seen.Count < Count + 1 && DateTime.UtcNow < deadline)
            {
                if (consumer.Consume(TimeSpan.FromSeconds(1)) is not { IsPartitionEOF: false } record)
                {
                    continue;
                }

                Assert.True(seen.TryAdd(record.Message.Value, record), $"{record.Message.Value} came twice");
                if (record.Message.Value == "from-grain-client")
                {
                    continue;
                }

                int n = int.Parse(record.Message.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                (int partition, long offset, long timestamp) = sent[record.Message.Value];
                Assert.Equal((partition, offset), (record.Partition.Value, record.Offset.Value));
                Assert.Equal(timestamp, record.Message.Timestamp.UnixTimestampMs);
                Assert.Equal($"key-{n % 40}", record.Message.Key);
                Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("n")));
                Assert.True(lastPerKey.GetValueOrDefault(record.Message.Key, -1) < n, $"{record.Message.Key} out of order at {n}");
                lastPerKey[record.Message.Key] = n;
            }

            Assert.Equal(Count + 1, seen.Count);
            output.WriteLine($"consumed {seen.Count} records through the Kafka port");
        }

        // The grain client reads what Confluent wrote: same key, value, headers, timestamp and offset.
        await using (Consumer grainConsumer = client.CreateConsumer())
        {
            int partition = sent["value-0"].Partition;
            grainConsumer.Assign([new TopicPartitionOffset("kafka-orders", partition, sent["value-0"].Offset)]);
            ConsumeResult first = (await grainConsumer.ReadAsync(1))[0];
            Assert.Equal("key-0", Encoding.UTF8.GetString(first.Key!.Value.Span));
            Assert.Equal("value-0", Encoding.UTF8.GetString(first.Value!.Value.Span));
            Assert.Equal(sent["value-0"].Timestamp, first.Timestamp);
            Assert.Equal("0", Encoding.UTF8.GetString(Assert.Single(first.Headers, h => h.Key == "n").Value!.Value.Span));
        }

        // And Confluent reads what the grain client wrote, headers included.
        await client.Admin.CreateTopicAsync("kafka-mixed", 1, replicationFactor: 3);
        DeliveryResult written;
        await using (Producer grainProducer = client.CreateProducer(new ProducerOptions { Acks = Acks.All }))
        {
            written = await grainProducer.ProduceAsync("kafka-mixed", Encoding.UTF8.GetBytes("grain-key"), Encoding.UTF8.GetBytes("grain-value"),
                [new RecordHeader("origin", Encoding.UTF8.GetBytes("grain"))], timestamp: 1_700_000_000_123);
        }

        using (Kafka.IConsumer<string, string> consumer = new Kafka.ConsumerBuilder<string, string>(ConsumerConfig(cluster)).Build())
        {
            consumer.Assign([new Kafka.TopicPartitionOffset("kafka-mixed", 0, Kafka.Offset.Beginning)]);
            Kafka.ConsumeResult<string, string>? record = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (record is null && DateTime.UtcNow < deadline)
            {
                record = consumer.Consume(TimeSpan.FromSeconds(1));
            }

            Assert.NotNull(record);
            Assert.Equal(("grain-key", "grain-value", written.Offset, 1_700_000_000_123L), (record.Message.Key, record.Message.Value, record.Offset.Value, record.Message.Timestamp.UnixTimestampMs));
            Assert.Equal("grain", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("origin")));
        }
    }

    private static Kafka.ProducerConfig ProducerConfig(BrokerProcesses cluster) => new()
    {
        BootstrapServers = cluster.KafkaBootstrap,
        Acks = Kafka.Acks.All,
        EnableIdempotence = true,
        Partitioner = Kafka.Partitioner.Murmur2Random,
        LingerMs = 5,
        MessageTimeoutMs = 60_000,
    };

    private static Kafka.ConsumerConfig ConsumerConfig(BrokerProcesses cluster) => new()
    {
        BootstrapServers = cluster.KafkaBootstrap,
        GroupId = "kafka-client-tests", // required by the client; with Assign and no commits it talks to no coordinator
        EnableAutoCommit = false,
        AutoOffsetReset = Kafka.AutoOffsetReset.Earliest,
        EnablePartitionEof = false,
    };
}
