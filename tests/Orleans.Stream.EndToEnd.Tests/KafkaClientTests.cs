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
[Collection(SharedClusterDefinition.Name)]
public sealed class KafkaClientTests(ITestOutputHelper output, KafkaCluster kafka)
{
    [Fact]
    public async Task A_confluent_producer_and_consumer_get_every_record_through_the_kafka_port_and_meet_the_grain_client()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamConnection connection = kafka.Connection;
        OrleansStreamClient client = connection.Client;
        // Confluent's admin client creates the topic, sees its configuration, and refuses a second one of the name.
        using (Kafka.IAdminClient admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = cluster.KafkaBootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification
            {
                Name = "kafka-orders",
                NumPartitions = 6,
                ReplicationFactor = 3,
                Configs = new Dictionary<string, string> { ["min.insync.replicas"] = "2", ["retention.ms"] = "86400000" },
            }]);
            var again = await Assert.ThrowsAsync<Kafka.Admin.CreateTopicsException>(() => admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification { Name = "kafka-orders", NumPartitions = 1 }]));
            Assert.Equal(Kafka.ErrorCode.TopicAlreadyExists, Assert.Single(again.Results).Error.Code);
            Kafka.Metadata metadata = admin.GetMetadata("kafka-orders", TimeSpan.FromSeconds(10));
            Assert.Equal(3, metadata.Brokers.Count);
            Kafka.TopicMetadata described = Assert.Single(metadata.Topics);
            Assert.Equal(6, described.Partitions.Count);
            Assert.All(described.Partitions, p => Assert.Equal(3, p.Replicas.Length));
            List<Kafka.Admin.DescribeConfigsResult> configs = await admin.DescribeConfigsAsync([new Kafka.Admin.ConfigResource { Type = Kafka.Admin.ResourceType.Topic, Name = "kafka-orders" }]);
            Assert.Equal("86400000", Assert.Single(configs).Entries["retention.ms"].Value);

            // A scratch topic grows and goes.
            await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification { Name = "kafka-scratch", NumPartitions = 2, ReplicationFactor = 1 }]);
            await admin.CreatePartitionsAsync([new Kafka.Admin.PartitionsSpecification { Topic = "kafka-scratch", IncreaseTo = 5 }]);
            Assert.Equal(5, (await client.Admin.DescribeTopicAsync("kafka-scratch")).Partitions.Length);
            await admin.DeleteTopicsAsync(["kafka-scratch"]);
            Assert.DoesNotContain("kafka-scratch", await client.Admin.ListTopicsAsync());
        }

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

    [Fact]
    public async Task Every_broker_serves_a_topic_the_moment_its_creation_returns()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamClient client = kafka.Connection.Client;

        // Each broker's listener keeps a copy of the controller's view (for a minute on this cluster). Fill every copy
        // now, before the topic exists; a request naming a partition its copy lacks must look again rather than
        // answer UNKNOWN_TOPIC_OR_PARTITION, which librdkafka does not retry when it looks up a start offset.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int broker = 0; broker < 3; broker++)
        {
            using Kafka.IAdminClient admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = $"127.0.0.1:{cluster.KafkaPort(broker)}" }).Build();
            Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == "kafka-fresh");
        }

        output.WriteLine($"caches filled after {clock.ElapsedMilliseconds} ms");
        await client.Admin.CreateTopicAsync("kafka-fresh", 3, replicationFactor: 1); // one partition led by each broker
        output.WriteLine($"created after {clock.ElapsedMilliseconds} ms");
        await using (Producer producer = client.CreateProducer(new ProducerOptions { Acks = Acks.All }))
        {
            for (int partition = 0; partition < 3; partition++)
            {
                await producer.ProduceAsync("kafka-fresh", null, Encoding.UTF8.GetBytes($"fresh-{partition}"), partition: partition);
            }
        }

        using Kafka.IConsumer<string, string> consumer = new Kafka.ConsumerBuilder<string, string>(ConsumerConfig(cluster)).Build();
        consumer.Assign([.. Enumerable.Range(0, 3).Select(p => new Kafka.TopicPartitionOffset("kafka-fresh", p, Kafka.Offset.Beginning))]);
        var values = new List<string>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); values.Count < 3 && DateTime.UtcNow < deadline;)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } record)
            {
                Assert.Equal($"fresh-{record.Partition.Value}", record.Message.Value);
                values.Add(record.Message.Value);
            }
        }

        output.WriteLine($"consumed after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(["fresh-0", "fresh-1", "fresh-2"], values.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_kafka_consumer_group_of_two_reads_50k_records_of_every_codec_once_in_key_order_and_a_restarted_member_resumes_from_the_commits()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamConnection connection = kafka.Connection;
        using (Kafka.IAdminClient admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = cluster.KafkaBootstrap }).Build())
        {
            await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification
            {
                Name = "kafka-group",
                NumPartitions = 6,
                ReplicationFactor = 3,
                Configs = new Dictionary<string, string> { ["min.insync.replicas"] = "2" },
            }]);
        }

        // 50,000 keyed records from an idempotent acks=all producer, 10,000 with each codec, into one topic: every
        // partition holds batches of all five kinds, one after the other.
        const int Total = 50_000;
        Kafka.CompressionType[] codecs = [Kafka.CompressionType.None, Kafka.CompressionType.Gzip, Kafka.CompressionType.Snappy, Kafka.CompressionType.Lz4, Kafka.CompressionType.Zstd];
        for (int c = 0; c < codecs.Length; c++)
        {
            await ProduceAsync(cluster, "kafka-group", c * (Total / codecs.Length), Total / codecs.Length, codecs[c]);
        }

        // Two members share the partitions; each commits what it has read when partitions are taken from it, so a
        // rebalance hands a partition over exactly where its last owner stopped.
        var group = new GroupLedger();
        using var firstStop = new CancellationTokenSource();
        using var secondStop = new CancellationTokenSource();
        Task<int> first = Task.Run(() => ConsumeInGroup(cluster, "kafka-group", "kafka-readers", group, firstStop.Token));
        Task<int> second = Task.Run(() => ConsumeInGroup(cluster, "kafka-group", "kafka-readers", group, secondStop.Token));
        await WaitForAsync(() => group.Seen.Count >= Total, TimeSpan.FromSeconds(120), () => $"{Total} records read by the group (have {group.Seen.Count})");
        await firstStop.CancelAsync();
        int firstRead = await first; // closes: commits and leaves the group
        group.AssertClean();
        output.WriteLine($"member 1 read {firstRead}, member 2 so far {group.Seen.Count - firstRead}");
        Assert.True(firstRead > 0, "both members must have had partitions");

        // More records; a restarted member joins again and the group reads only the new ones, once.
        await ProduceAsync(cluster, "kafka-group", Total, 1000, Kafka.CompressionType.Lz4);
        using var restartedStop = new CancellationTokenSource();
        Task<int> restarted = Task.Run(() => ConsumeInGroup(cluster, "kafka-group", "kafka-readers", group, restartedStop.Token));
        await WaitForAsync(() => group.Seen.Count >= Total + 1000, TimeSpan.FromSeconds(90), () => $"{Total + 1000} records read by the group (have {group.Seen.Count})");
        await Task.Delay(2000); // nothing more may come
        await secondStop.CancelAsync();
        await restartedStop.CancelAsync();
        await Task.WhenAll(second, restarted);
        group.AssertClean();
        Assert.Equal(Total + 1000, group.Seen.Count);
        for (int i = 0; i < Total + 1000; i++)
        {
            Assert.True(group.Seen.ContainsKey($"value-{i}"), $"value-{i} was never read");
        }

        // The group's commits are the grain client's view too.
        ConsumerGroupDescription described = await connection.Client.Admin.DescribeGroupAsync("kafka-readers");
        Assert.Equal(Total + 1000, described.Partitions.Sum(p => p.CommittedOffset));
        Assert.Equal(0, described.TotalLag);
    }

    [Fact]
    public async Task A_kafka_consumer_and_a_grain_client_consumer_share_one_group()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamConnection connection = kafka.Connection;
        await connection.Client.Admin.CreateTopicAsync("kafka-shared", 4, replicationFactor: 3);
        await ProduceAsync(cluster, "kafka-shared", 0, 2000);

        // The grain client's member joins first (range, as librdkafka's default list has it), then the Kafka consumer.
        await using Consumer grainMember = connection.Client.CreateConsumer(new ConsumerOptions
        {
            GroupId = "mixed-readers",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true, // commits its positions when partitions are taken from it, as the Kafka member does
            PartitionAssignmentStrategy = "range",
        });
        await grainMember.SubscribeAsync(["kafka-shared"]);
        var ledger = new GroupLedger();
        using var stop = new CancellationTokenSource();
        Task<int> kafkaMember = Task.Run(() => ConsumeInGroup(cluster, "kafka-shared", "mixed-readers", ledger, stop.Token));

        // Wait until the group has both members with two partitions each, then the grain member reads its share.
        await WaitForAsync(() => grainMember.Assignment.Count == 2, TimeSpan.FromSeconds(60), () => $"the grain member to hold 2 partitions (holds {grainMember.Assignment.Count})");
        // Exactly the two (a member librdkafka replaced on a rejoin stays listed until its session times out).
        ConsumerGroupDescription group = null!;
        await Eventually.TrueAsync(async () =>
        {
            group = await connection.Client.Admin.DescribeGroupAsync("mixed-readers");
            return group.Members.Count == 2;
        }, TimeSpan.FromSeconds(30), () => $"2 members in the group (has {group?.Members.Count})");
        Assert.Contains(group.Members, m => m.ClientId.Contains("rdkafka", StringComparison.Ordinal));
        Task grainReading = Task.Run(async () =>
        {
            try
            {
                await foreach (ConsumeResult record in grainMember.ConsumeAsync(stop.Token))
                {
                    ledger.Read(Encoding.UTF8.GetString(record.Key!.Value.Span), Encoding.UTF8.GetString(record.Value!.Value.Span));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        });
        await WaitForAsync(() => ledger.Seen.Count >= 2000, TimeSpan.FromSeconds(60), () => $"2000 records read by the two members (have {ledger.Seen.Count})");
        await Task.Delay(1000); // nothing more may come
        await stop.CancelAsync();
        await grainReading;
        int readByKafka = await kafkaMember;
        ledger.AssertClean();
        Assert.Equal(2000, ledger.Seen.Count);
        Assert.InRange(readByKafka, 1, 1999); // both members read a share
    }

    [Fact]
    public async Task Batches_compressed_by_a_kafka_producer_with_every_codec_are_read_back_by_kafka_and_grain_clients()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamConnection connection = kafka.Connection;
        Kafka.CompressionType[] codecs = [Kafka.CompressionType.Gzip, Kafka.CompressionType.Snappy, Kafka.CompressionType.Lz4, Kafka.CompressionType.Zstd];
        foreach (Kafka.CompressionType codec in codecs)
        {
            string topic = $"compressed-{codec.ToString().ToLowerInvariant()}";
            await connection.Client.Admin.CreateTopicAsync(topic, 1);
            Kafka.ProducerConfig config = ProducerConfig(cluster);
            config.CompressionType = codec;
            config.LingerMs = 50; // batches of many records, so there is something to compress
            using (Kafka.IProducer<string, string> producer = new Kafka.ProducerBuilder<string, string>(config).Build())
            {
                var deliveries = new List<Task<Kafka.DeliveryResult<string, string>>>();
                for (int i = 0; i < 500; i++)
                {
                    deliveries.Add(producer.ProduceAsync(topic, new Kafka.Message<string, string> { Key = $"key-{i % 7}", Value = $"{codec} record {i} {new string('z', 100)}" }));
                }

                await Task.WhenAll(deliveries);
            }

            // Stored as sent: the first batch on disk carries the producer's codec.
            Assert.Equal((Storage.CompressionType)(int)codec, StoredCompression(kafka.DataRoot, topic));

            // A Kafka consumer and the grain client both get all 500 back, in order.
            using (Kafka.IConsumer<string, string> consumer = new Kafka.ConsumerBuilder<string, string>(ConsumerConfig(cluster)).Build())
            {
                consumer.Assign([new Kafka.TopicPartitionOffset(topic, 0, Kafka.Offset.Beginning)]);
                var values = new List<string>();
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (values.Count < 500 && DateTime.UtcNow < deadline)
                {
                    if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } record)
                    {
                        values.Add(record.Message.Value);
                    }
                }

                Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{codec} record {i} {new string('z', 100)}"), values);
            }

            await using Consumer grainConsumer = connection.Client.CreateConsumer();
            grainConsumer.Assign([new TopicPartitionOffset(topic, 0, OffsetSpec.Earliest)]);
            List<ConsumeResult> read = await grainConsumer.ReadAsync(500);
            Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{codec} record {i} {new string('z', 100)}"), read.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)));
        }
    }

    /// <summary>The codec of the first batch in the log of <paramref name="topic"/>/0 (one replica), read from its segment file.</summary>
    private static Storage.CompressionType StoredCompression(string dataRoot, string topic)
    {
        string directory = Directory.GetDirectories(dataRoot, $"{topic}-0*", SearchOption.AllDirectories).Single();
        string segment = Directory.GetFiles(directory, "*.log").Order(StringComparer.Ordinal).First();
        using var file = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        byte[] header = new byte[61];
        file.ReadExactly(header);
        return new RecordBatch(header).Header.Compression;
    }

    [Fact]
    public async Task Kafkajs_produces_and_consumes_through_a_group()
    {
        BrokerProcesses cluster = kafka.Cluster;
        OrleansStreamConnection connection = kafka.Connection;
        await connection.Client.Admin.CreateTopicAsync("kafkajs-topic", 3, replicationFactor: 3);

        string root = Azurite.RepositoryRoot();
        ProcessRun run = await ProcessRun.RunAsync("node",
            [Path.Combine(root, "tests", "Orleans.Stream.EndToEnd.Tests", "Scripts", "kafkajs-roundtrip.mjs"), cluster.KafkaBootstrap, "kafkajs-topic", "400"],
            timeout: TimeSpan.FromSeconds(120), workingDirectory: root);
        Assert.True(run.ExitCode == 0, $"kafkajs failed ({run.ExitCode}): {run.Stderr}");
        using var result = System.Text.Json.JsonDocument.Parse(run.Stdout.Trim().Split('\n')[^1]);
        Assert.True(result.RootElement.GetProperty("acknowledged").GetInt32() >= 8); // a partition result per send call and partition
        var consumed = result.RootElement.GetProperty("consumed").EnumerateArray().ToList();
        Assert.Equal(400, consumed.Count);
        Assert.Equal(Enumerable.Range(0, 400).Select(i => $"v{i}").Order(StringComparer.Ordinal), consumed.Select(c => c.GetProperty("value").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(consumed, c => Assert.Equal("kafkajs", c.GetProperty("from").GetString()));
        foreach (var key in consumed.GroupBy(c => c.GetProperty("key").GetString()))
        {
            int[] order = [.. key.Select(c => int.Parse(c.GetProperty("value").GetString()![1..], System.Globalization.CultureInfo.InvariantCulture))];
            Assert.Equal(order.Order(), order);
        }

        // The group's commits, as the grain client sees them: everything read.
        ConsumerGroupDescription group = await connection.Client.Admin.DescribeGroupAsync("kafkajs-readers");
        Assert.Equal(400, group.Partitions.Sum(p => p.CommittedOffset));
    }

    private static async Task ProduceAsync(BrokerProcesses cluster, string topic, int from, int count, Kafka.CompressionType codec = Kafka.CompressionType.None)
    {
        Kafka.ProducerConfig config = ProducerConfig(cluster);
        config.CompressionType = codec;
        using Kafka.IProducer<string, string> producer = new Kafka.ProducerBuilder<string, string>(config).Build();
        var deliveries = new List<Task<Kafka.DeliveryResult<string, string>>>(count);
        for (int i = from; i < from + count; i++)
        {
            deliveries.Add(producer.ProduceAsync(topic, new Kafka.Message<string, string> { Key = $"key-{i % 24}", Value = $"value-{i}" }));
        }

        await Task.WhenAll(deliveries);
    }

    /// <summary>One group member until <paramref name="stop"/>: enters every record it reads in the ledger, commits on revocation and close.</summary>
    private static int ConsumeInGroup(BrokerProcesses cluster, string topic, string group, GroupLedger ledger, CancellationToken stop)
    {
        Kafka.ConsumerConfig config = ConsumerConfig(cluster);
        config.GroupId = group;
        config.EnableAutoOffsetStore = false;
        config.SessionTimeoutMs = 10_000;
        int read = 0;
        using Kafka.IConsumer<string, string> consumer = new Kafka.ConsumerBuilder<string, string>(config)
            .SetPartitionsRevokedHandler((c, _) => CommitStored(c))
            .Build();
        consumer.Subscribe(topic);
        while (!stop.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } record)
            {
                continue;
            }

            ledger.Read(record.Message.Key, record.Message.Value);
            consumer.StoreOffset(record);
            read++;
        }

        CommitStored(consumer);
        consumer.Close();
        return read;
    }

    /// <summary>
    /// What the members of one group read, values "value-N" under their keys: a value read twice is a duplicate, and
    /// a key whose values do not come in increasing N (across members too: a handed-over partition goes on where it
    /// stopped) is out of order.
    /// </summary>
    private sealed class GroupLedger
    {
        private readonly Dictionary<string, int> _lastPerKey = [];
        private readonly List<string> _faults = [];

        public System.Collections.Concurrent.ConcurrentDictionary<string, bool> Seen { get; } = new();

        public void Read(string key, string value)
        {
            int n = int.Parse(value.AsSpan("value-".Length), System.Globalization.CultureInfo.InvariantCulture);
            lock (_lastPerKey)
            {
                if (!Seen.TryAdd(value, true))
                {
                    _faults.Add($"{value} read twice");
                }
                else if (_lastPerKey.GetValueOrDefault(key, -1) > n)
                {
                    _faults.Add($"{key}: {value} after value-{_lastPerKey[key]}");
                }

                _lastPerKey[key] = Math.Max(n, _lastPerKey.GetValueOrDefault(key, -1));
            }
        }

        public void AssertClean()
        {
            lock (_lastPerKey)
            {
                Assert.True(_faults.Count == 0, string.Join("; ", _faults.Take(10)));
            }
        }
    }

    private static void CommitStored(Kafka.IConsumer<string, string> consumer)
    {
        try
        {
            consumer.Commit();
        }
        catch (Kafka.KafkaException error) when (error.Error.Code == Kafka.ErrorCode.Local_NoOffset)
        {
            // Nothing read since the last commit.
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {timeout}: {what()}");
            await Task.Delay(100);
        }
    }

    internal static Kafka.ProducerConfig ProducerConfig(BrokerProcesses cluster) => new()
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
