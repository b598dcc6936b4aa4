using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>Tiered storage on a real 3-silo cluster with a real Azurite as the remote tier.</summary>
public sealed class TieredStorageTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private Azurite _azurite = null!;
    private BlobContainerClient _container = null!;
    private BrokerCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync(location: Path.Combine(_data.Path, "azurite")); // on disk: it can go down and come back
        _container = new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient("tier-" + Guid.NewGuid().ToString("N")[..8]);
        _cluster = await StartClusterAsync(survivesKills: false);
    }

    /// <summary>
    /// The cluster under test, tiering to <see cref="_container"/> every 200 ms. Its controller state is in memory
    /// (unaffected by the blob store going down) unless <paramref name="survivesKills"/>: then on Azurite too.
    /// </summary>
    private Task<BrokerCluster> StartClusterAsync(bool survivesKills)
    {
        void Silo(Orleans.Hosting.ISiloBuilder silo) => silo.AddOrleansStreamRemoteTier(_container);
        static void Broker(BrokerOptions broker)
        {
            broker.TieringInterval = TimeSpan.FromMilliseconds(200);
            broker.RetentionCheckInterval = TimeSpan.FromMilliseconds(200);
            broker.RemoteReadChunkBytes = 16 << 10; // many chunks per segment: reads cross chunk boundaries
            broker.RemoteOrphanCheckInterval = TimeSpan.FromSeconds(1);
            broker.RemoteOrphanMinAge = TimeSpan.FromSeconds(2);
        }

        return survivesKills
            ? BrokerCluster.StartSurvivingAsync(Path.Combine(_data.Path, "surviving"), _azurite, Silo, Broker)
            : BrokerCluster.StartAsync(_data.Path, configureSilo: Silo, configureBroker: Broker);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _azurite.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Local_disks_keep_only_the_active_segment_and_a_consumer_from_offset_0_reads_every_record_across_the_boundary()
    {
        OrleansStreamClient client = _cluster.Client;
        await CreateTieredTopicAsync("tiered", partitions: 2, ("local.retention.bytes", "0"), ("retention.ms", "-1"));

        var acknowledged = new Dictionary<(int, long), (string Key, string Value, long Timestamp)>();
        await using (Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 4096 })) // batches well below a segment
        {
            var pending = new List<(Task<DeliveryResult> Ack, string Key, string Value, long Timestamp)>();
            for (int i = 0; i < 2000; i++)
            {
                string key = $"k{i % 13}", value = $"v{i}:" + new string((char)('a' + (i % 26)), 300 + (i % 200));
                long timestamp = 1_750_000_000_000 + i;
                pending.Add((producer.ProduceAsync("tiered", Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value),
                    [new RecordHeader("n", BitConverter.GetBytes(i))], timestamp).AsTask(), key, value, timestamp));
            }

            foreach ((Task<DeliveryResult> ack, string key, string value, long timestamp) in pending)
            {
                DeliveryResult result = await ack;
                acknowledged[(result.Partition, result.Offset)] = (key, value, timestamp);
            }
        }

        // Every replica (leaders and followers) ends with its active segment alone: the rest is remote.
        TopicDescription topic = await client.Admin.DescribeTopicAsync("tiered");
        await Eventually.TrueAsync(() => Task.FromResult(topic.Partitions.All(p => p.Replicas.All(b => LocalSegments(b, p.Partition) == 1))),
            TimeSpan.FromSeconds(30), () => $"local segments: {string.Join(", ", topic.Partitions.SelectMany(p => p.Replicas.Select(b => $"{p.Partition}@{b}={LocalSegments(b, p.Partition)}")))}");
        foreach (PartitionDescription partition in topic.Partitions)
        {
            PartitionState state = await client.Admin.DescribePartitionAsync(new TopicPartition("tiered", partition.Partition));
            Assert.NotNull(state.Remote);
            Assert.Equal(0, state.Remote.LogStartOffset);
            Assert.Equal(state.LogStartOffset, state.Remote.EndOffset); // remote and local meet, no gap
            Assert.True(state.Remote.SegmentCount > 10, $"only {state.Remote.SegmentCount} remote segments");
        }

        // From offset 0: every record, at its offset, with its key, value, headers and timestamp.
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("tiered", 0, OffsetSpec.Earliest), new TopicPartitionOffset("tiered", 1, OffsetSpec.Earliest)]);
        List<ConsumeResult> records = await consumer.ReadAsync(2000, TimeSpan.FromSeconds(60));
        var next = new long[2];
        foreach (ConsumeResult record in records)
        {
            Assert.Equal(next[record.Partition]++, record.Offset); // in order, none missing
            (string key, string value, long timestamp) = acknowledged[(record.Partition, record.Offset)];
            Assert.Equal(key, Encoding.UTF8.GetString(record.Key!.Value.Span));
            Assert.Equal(value, Encoding.UTF8.GetString(record.Value!.Value.Span));
            Assert.Equal(timestamp, record.Timestamp);
            Assert.Equal(int.Parse(value[1..value.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture), BitConverter.ToInt32(record.Headers.Single().Value!.Value.Span));
        }

        Assert.Equal(acknowledged.Count, records.Count);

        // Offsets by time find remote records too (the remote time index, then the batches).
        foreach (int p in (int[])[0, 1])
        {
            foreach (long wanted in (long[])[1_750_000_000_000, 1_750_000_000_777, 1_750_000_001_500])
            {
                (long offset, long timestamp) = acknowledged.Where(a => a.Key.Item1 == p && a.Value.Timestamp >= wanted).Select(a => (a.Key.Item2, a.Value.Timestamp)).Min();
                ListOffsetsResponse found = await _cluster.Cluster.Client.GetGrain<IPartitionGrain>($"tiered/{p}").ListOffsets(wanted);
                Assert.Equal((ErrorCode.None, offset, timestamp), (found.Error, found.Offset, found.Timestamp));
            }
        }
    }

    [Fact]
    public async Task Retention_by_time_removes_remote_segments_and_their_blobs_and_moves_the_log_start()
    {
        OrleansStreamClient client = _cluster.Client;
        await CreateTieredTopicAsync("expiring", partitions: 1, ("local.retention.ms", "0"), ("retention.ms", "3600000"));

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long firstFresh;
        await using (Producer producer = client.CreateProducer())
        {
            for (int i = 0; i < 300; i++) // two hours old: past retention.ms
            {
                await producer.ProduceAsync("expiring", null, Encoding.UTF8.GetBytes($"old{i}" + new string('o', 400)), timestamp: now - 7_200_000 + i);
            }

            firstFresh = (await producer.ProduceAsync("expiring", null, Encoding.UTF8.GetBytes("fresh0" + new string('f', 400)), timestamp: now)).Offset;
            for (int i = 1; i < 300; i++)
            {
                await producer.ProduceAsync("expiring", null, Encoding.UTF8.GetBytes($"fresh{i}" + new string('f', 400)), timestamp: now + i);
            }
        }

        var partition = new TopicPartition("expiring", 0);
        await Eventually.TrueAsync(async () => (await client.Admin.DescribePartitionAsync(partition)).Remote is { LogStartOffset: > 0 } remote && remote.LogStartOffset >= firstFresh - 40,
            TimeSpan.FromSeconds(30), () => "remote retention did not move the log start");
        PartitionState state = await client.Admin.DescribePartitionAsync(partition);
        long start = state.Remote!.LogStartOffset;
        Assert.InRange(start, firstFresh - 40, firstFresh); // at most the segment holding the boundary keeps a few old records

        // The removed segments' blobs are gone; the kept ones are there.
        var baseOffsets = new List<long>();
        await foreach (BlobItem blob in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = "expiring/0/" }))
        {
            if (blob.Name.EndsWith(".log", StringComparison.Ordinal))
            {
                baseOffsets.Add(long.Parse(Path.GetFileNameWithoutExtension(blob.Name), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.NotEmpty(baseOffsets);
        Assert.All(baseOffsets, offset => Assert.True(offset >= start, $"blob of segment {offset} below the log start {start}"));

        // Earliest is the new start; reading below it is out of range; reading from it works, remote first.
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("expiring", 0, OffsetSpec.Earliest)]);
        List<ConsumeResult> records = await consumer.ReadAsync((int)(600 - start));
        Assert.Equal(start, records[0].Offset);
        Assert.Equal("fresh299", Encoding.UTF8.GetString(records[^1].Value!.Value.Span)[..8]);
        FetchResponse below = await _cluster.Cluster.Client.GetGrain<IPartitionGrain>("expiring/0").Fetch(new FetchRequest(0, 1 << 20, 0));
        Assert.Equal((ErrorCode.OffsetOutOfRange, start), (below.Error, below.LogStartOffset));

        // A blob no manifest records (an upload cut off by a crash) is swept once old enough; recorded ones stay.
        BlobClient orphan = _container.GetBlobClient("expiring/0/00000000000099999999.log");
        await orphan.UploadAsync(BinaryData.FromBytes(new byte[100]));
        await Eventually.TrueAsync(async () => !await orphan.ExistsAsync(), TimeSpan.FromSeconds(30), () => "the orphan blob is still there");
        Assert.True(await _container.GetBlobClient($"expiring/0/{start:D20}.log").ExistsAsync());
    }

    [Fact]
    public async Task Retention_by_size_counts_remote_and_local_bytes_and_keeps_the_newest()
    {
        OrleansStreamClient client = _cluster.Client;
        await CreateTieredTopicAsync("sized", partitions: 1, ("retention.bytes", "65536"), ("local.retention.bytes", "0"), ("retention.ms", "-1"));
        await using (Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 4096 }))
        {
            for (int i = 0; i < 600; i++) // about 250 KB: four times the limit
            {
                await producer.ProduceAsync("sized", null, Encoding.UTF8.GetBytes($"r{i}:" + new string('s', 400)));
            }
        }

        var partition = new TopicPartition("sized", 0);
        await Eventually.TrueAsync(async () => (await client.Admin.DescribePartitionAsync(partition)) is { Remote: { } remote } state &&
                remote.LogStartOffset > 0 && remote.SizeInBytes + state.SizeInBytes <= 65536 + 16384,
            TimeSpan.FromSeconds(30), () => "remote retention by size did not bring the log under retention.bytes");
        PartitionState sized = await client.Admin.DescribePartitionAsync(partition);
        Assert.True(sized.Remote!.SizeInBytes + sized.SizeInBytes >= 65536 - 16384, "retention removed more than it had to");

        // The kept part reads back from its new start to the end, remote first.
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("sized", 0, OffsetSpec.Earliest)]);
        List<ConsumeResult> records = await consumer.ReadAsync((int)(600 - sized.Remote.LogStartOffset));
        Assert.Equal(sized.Remote.LogStartOffset, records[0].Offset);
        Assert.StartsWith("r599:", Encoding.UTF8.GetString(records[^1].Value!.Value.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blob_store_outage_delays_tiering_and_local_deletion_but_not_produce_and_nothing_is_lost()
    {
        OrleansStreamClient client = _cluster.Client;
        await CreateTieredTopicAsync("tiered", partitions: 1, ("local.retention.bytes", "0"), ("retention.ms", "-1"));
        PartitionDescription partition = (await client.Admin.DescribeTopicAsync("tiered")).Partitions[0];
        await using Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 4096 });
        async Task ProduceAsync(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                Assert.Equal(i, (await producer.ProduceAsync("tiered", null, Encoding.UTF8.GetBytes($"r{i}:" + new string('x', 400)))).Offset);
            }
        }

        await ProduceAsync(0, 300);
        await Eventually.TrueAsync(() => Task.FromResult(partition.Replicas.All(b => LocalSegments(b, 0) == 1)), TimeSpan.FromSeconds(30), () => "tiering before the outage");
        long tieredBefore = LocalLog(partition.Leader).TieredOffset;

        // The store goes down: produce goes on, tiering and local deletion wait.
        await _azurite.StopAsync();
        await ProduceAsync(300, 900);
        await Task.Delay(TimeSpan.FromSeconds(3)); // many tiering and retention passes
        foreach (int broker in partition.Replicas)
        {
            PartitionLog log = LocalLog(broker);
            Assert.Equal(tieredBefore, log.TieredOffset);
            Assert.True(log.LogStartOffset <= tieredBefore, $"broker {broker} deleted local data that is not remote (start {log.LogStartOffset}, tiered {tieredBefore})");
            Assert.True(log.Segments.Count > 5, $"broker {broker} has only {log.Segments.Count} local segments");
        }

        // The leader's health check turns Degraded and names the partition.
        await Eventually.TrueAsync(async () => (await TieringHealthAsync(partition.Leader)).Status == HealthStatus.Degraded,
            TimeSpan.FromSeconds(30), () => "the tiering health check stayed healthy during the outage");
        Assert.Contains("tiered/0", (await TieringHealthAsync(partition.Leader)).Description);

        // A consumer of the remote part meanwhile waits (its fetches fail with a retriable error) rather than failing.
        await using Consumer early = client.CreateConsumer();
        early.Assign([new TopicPartitionOffset("tiered", 0, 0)]);
        Task<List<ConsumeResult>> earlyRead = early.ReadAsync(900, TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(earlyRead.IsCompleted);

        // Back again: tiering catches up by itself, and every record is readable from offset 0.
        await _azurite.StartAgainAsync();
        Assert.Equal(Enumerable.Range(0, 900).Select(i => (long)i), (await earlyRead).Select(r => r.Offset));
        await Eventually.TrueAsync(async () => (await TieringHealthAsync(partition.Leader)).Status == HealthStatus.Healthy,
            TimeSpan.FromSeconds(90), () => "the tiering health check did not recover");
        await Eventually.TrueAsync(() => Task.FromResult(partition.Replicas.All(b => LocalSegments(b, 0) == 1)), TimeSpan.FromSeconds(90),
            () => $"catch-up: {string.Join(", ", partition.Replicas.Select(b => $"{b}={LocalSegments(b, 0)}"))}");
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("tiered", 0, 0)]);
        List<ConsumeResult> records = await consumer.ReadAsync(900, TimeSpan.FromSeconds(60));
        for (int i = 0; i < 900; i++)
        {
            Assert.Equal(i, records[i].Offset);
            Assert.StartsWith($"r{i}:", Encoding.UTF8.GetString(records[i].Value!.Value.Span), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_new_leader_continues_tiering_where_the_killed_one_stopped_with_no_segment_missing_or_twice()
    {
        await _cluster.DisposeAsync();
        _cluster = await StartClusterAsync(survivesKills: true);
        OrleansStreamClient client = _cluster.Client;
        await client.Admin.CreateTopicAsync("tiered", partitions: 1, replicationFactor: 3, new Dictionary<string, string>
        {
            ["remote.storage.enable"] = "true",
            ["segment.bytes"] = "16384",
            ["local.retention.bytes"] = "0",
            ["retention.ms"] = "-1",
            ["min.insync.replicas"] = "2",
        });
        var partition = new TopicPartition("tiered", 0);
        await using Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 4096 });
        async Task ProduceAsync(int from, int to)
        {
            var acks = new List<Task<DeliveryResult>>();
            for (int i = from; i < to; i++)
            {
                acks.Add(producer.ProduceAsync("tiered", null, Encoding.UTF8.GetBytes($"r{i}:" + new string('x', 400))).AsTask());
            }

            foreach (Task<DeliveryResult> ack in acks)
            {
                await ack;
            }
        }

        await ProduceAsync(0, 400);
        await Eventually.TrueAsync(async () => (await client.Admin.DescribePartitionAsync(partition)).Remote is { SegmentCount: >= 3 },
            TimeSpan.FromSeconds(30), () => "tiering before the failover");
        int oldLeader = (await client.Admin.DescribeTopicAsync("tiered")).Partitions[0].Leader;

        // The leader dies (uploads may be in flight); produce goes on at the new leader, which tiers the rest.
        Task more = ProduceAsync(400, 800);
        await _cluster.KillBrokerAsync(oldLeader);
        await more;
        PartitionDescription after = (await client.Admin.DescribeTopicAsync("tiered")).Partitions[0];
        Assert.NotEqual(oldLeader, after.Leader);
        int[] live = [.. after.Replicas.Where(b => b != oldLeader)];
        await Eventually.TrueDespiteFaultsAsync(async () => live.All(b => LocalSegments(b, 0) == 1) &&
                (await client.Admin.DescribePartitionAsync(partition)).Remote?.EndOffset == LocalLog(after.Leader).LogStartOffset,
            TimeSpan.FromSeconds(60), () => $"tiering after the failover: {string.Join(", ", live.Select(b => $"{b}={LocalSegments(b, 0)}"))}");

        // The manifest: contiguous from 0, written last by the new leader's epoch, its blobs all there.
        var store = new Orleans.Stream.Tiering.RemoteLogStore(_container);
        TopicDescription topic = await client.Admin.DescribeTopicAsync("tiered");
        (Orleans.Stream.Tiering.RemoteManifest manifest, _) = await store.ReadManifestAsync(partition, topic.TopicId);
        Assert.Equal(after.LeaderEpoch, manifest.LeaderEpoch);
        long expected = 0;
        foreach (Orleans.Stream.Tiering.RemoteSegment segment in manifest.Segments)
        {
            Assert.Equal(expected, segment.BaseOffset);
            Assert.Equal(segment.SizeInBytes, (await store.ReadWholeLogAsync(partition, segment)).Length); // present, and its CRC-32C matches
            expected = segment.LastOffset + 1;
        }

        // Every record exactly once, in order, from offset 0.
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("tiered", 0, 0)]);
        List<ConsumeResult> records = await consumer.ReadAsync(800, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, 800).Select(i => (long)i), records.Select(r => r.Offset));
        Assert.Equal(800, records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span).Split(':')[0]).Distinct().Count());
    }

    [Fact]
    public async Task A_corrupt_remote_segment_is_a_clear_error_naming_the_blob_never_wrong_data()
    {
        OrleansStreamClient client = _cluster.Client;
        await CreateTieredTopicAsync("tiered", partitions: 1, ("local.retention.bytes", "0"), ("retention.ms", "-1"));
        await using (Producer producer = client.CreateProducer(new ProducerOptions { BatchSize = 4096 }))
        {
            for (int i = 0; i < 300; i++)
            {
                await producer.ProduceAsync("tiered", null, Encoding.UTF8.GetBytes($"r{i}:" + new string('x', 400)));
            }
        }

        PartitionDescription partition = (await client.Admin.DescribeTopicAsync("tiered")).Partitions[0];
        await Eventually.TrueAsync(() => Task.FromResult(partition.Replicas.All(b => LocalSegments(b, 0) == 1)), TimeSpan.FromSeconds(30), () => "tiering");

        // One flipped bit inside a record of the first remote segment.
        BlobClient blob = _container.GetBlobClient("tiered/0/00000000000000000000.log");
        byte[] bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[200] ^= 0x10;
        await blob.UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("tiered", 0, 0)]);
        var error = await Assert.ThrowsAsync<OrleansStreamException>(() => consumer.ReadAsync(1));
        Assert.Equal(ErrorCode.CorruptMessage, error.Code);
        Assert.Contains("tiered/0/00000000000000000000.log", error.Message);

        // The segments after it are still served, byte for byte as produced.
        long second = (await new Orleans.Stream.Tiering.RemoteLogStore(_container).ReadManifestAsync(new TopicPartition("tiered", 0), (await client.Admin.DescribeTopicAsync("tiered")).TopicId)).Manifest.Segments[1].BaseOffset;
        await using Consumer later = client.CreateConsumer();
        later.Assign([new TopicPartitionOffset("tiered", 0, second)]);
        ConsumeResult record = (await later.ReadAsync(1))[0];
        Assert.Equal(second, record.Offset);
        Assert.StartsWith($"r{second}:", Encoding.UTF8.GetString(record.Value!.Value.Span), StringComparison.Ordinal);

        // Deleting the topic deletes its remote copy too.
        await client.Admin.DeleteTopicAsync("tiered");
        await Eventually.TrueAsync(async () =>
        {
            await foreach (BlobItem _ in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = "tiered/" }))
            {
                return false;
            }

            return true;
        }, TimeSpan.FromSeconds(30), () => "blobs of the deleted topic are left");
    }

    /// <summary>A tiered topic, replication factor 2, of 16 KiB segments (many per test), with <paramref name="configs"/>.</summary>
    private Task<TopicDescription> CreateTieredTopicAsync(string name, int partitions, params (string Key, string Value)[] configs)
    {
        var all = new Dictionary<string, string> { ["remote.storage.enable"] = "true", ["segment.bytes"] = "16384" };
        foreach ((string key, string value) in configs)
        {
            all[key] = value;
        }

        return _cluster.Client.Admin.CreateTopicAsync(name, partitions, replicationFactor: 2, all);
    }

    private async Task<HealthReportEntry> TieringHealthAsync(int broker)
    {
        HealthReport report = await _cluster.ServicesOf(broker).GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["ostream-tiering"];
    }

    private PartitionLog LocalLog(int broker) => _cluster.LogsOf(broker).Find(new TopicPartition("tiered", 0))!.Log;

    private int LocalSegments(int broker, int partition) =>
        _cluster.LogsOf(broker).Find(new TopicPartition("tiered", partition)) is LocalPartition local ? local.Log.Segments.Count : -1;
}
