using System.Globalization;
using System.Text;
using Orleans.Stream.Client;
using Orleans.Stream.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>
/// Replication against real faults: three broker processes, a producer process (the load tool's verifiable producer,
/// acks=all, idempotent) logging every acknowledgement to a file, and the test SIGKILLing one broker after another
/// and restarting it while the producer runs. Afterwards the topic holds every acknowledged record, at its
/// acknowledged offset, once, in per-key order.
/// </summary>
public sealed class ReplicatedCrashTests(ITestOutputHelper output)
{
    private const string Topic = "verified";
    private const int Partitions = 3;

    [Fact]
    public async Task Brokers_killed_in_turn_under_an_acks_all_producer_lose_no_acknowledged_record()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path);
        await using OrleansStreamConnection connection = await cluster.ConnectWhenAllJoinedAsync();
        OrleansStreamClient client = connection.Client;
        await client.Admin.CreateTopicAsync(Topic, Partitions, replicationFactor: 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        string acksFile = Path.Combine(data.Path, "acks.tsv");
        Task<ProcessRun> producer = ProcessRun.DotnetAsync(Executables.LoadTool,
            ["verify-produce", "--cluster", cluster.Gateways, "--cluster-id", cluster.ClusterId, "--topic", Topic,
             "--records", "12000", "--rate", "300", "--keys", "16", "--acks-file", acksFile, "--max-seconds", "150"],
            timeout: TimeSpan.FromSeconds(180));

        // Each broker in turn: SIGKILL, a moment down, restart; bounded to the producer's run (about 40 s).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; round < 6 && !producer.IsCompleted; round++)
        {
            await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(4)));
            int victim = round % 3;
            await cluster.KillAsync(victim);
            output.WriteLine($"{clock.Elapsed}: killed broker {victim}; {AcknowledgedSoFar(acksFile)} acknowledged so far");
            await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(1.5)));
            cluster.Start(victim);
        }

        ProcessRun run = await producer;
        output.WriteLine($"{clock.Elapsed}: producer exited {run.ExitCode}: {run.Stdout.Trim()}");
        Assert.True(run.ExitCode == 0, $"the producer failed: {run.Stderr}");

        List<(int Partition, long Offset, string Key, string Value)> acknowledged = AcknowledgedRecords.Read(acksFile);
        Assert.True(acknowledged.Count > 6_000, $"only {acknowledged.Count} of 12,000 acknowledged: {run.Stdout} {run.Stderr[..Math.Min(2000, run.Stderr.Length)]}");

        // Everything the topic holds, from offset 0 to each partition's high watermark.
        var log = new Dictionary<(int Partition, long Offset), (string Key, string Value)>();
        await Eventually.TrueDespiteFaultsAsync(async () =>
        {
            log.Clear();
            long total = 0;
            for (int p = 0; p < Partitions; p++)
            {
                total += await client.Admin.ListOffsetAsync(new TopicPartition(Topic, p), OffsetSpec.Latest);
            }

            await using Consumer consumer = client.CreateConsumer();
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, 0)));
            foreach (ConsumeResult record in await consumer.ReadAsync((int)total, TimeSpan.FromSeconds(60)))
            {
                log[(record.TopicPartition.Partition, record.Offset)] = (Encoding.UTF8.GetString(record.Key!.Value.Span), Encoding.UTF8.GetString(record.Value!.Value.Span));
            }

            return acknowledged.All(a => log.ContainsKey((a.Partition, a.Offset)));
        }, TimeSpan.FromSeconds(120), () => $"the topic to hold every acknowledged offset (read {log.Count} records)");

        foreach ((int partition, long offset, string key, string value) in acknowledged)
        {
            Assert.Equal((key, value), log[(partition, offset)]);
        }

        AcknowledgedRecords.AssertExactlyOnceInKeyOrder(log, acknowledged.Select(a => (a.Partition, a.Offset, a.Value)));
    }

    private static int AcknowledgedSoFar(string acksFile)
    {
        try
        {
            using var stream = new FileStream(acksFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Count(c => c == '\n');
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
