using System.Net;
using System.Text;
using Orleans.Stream.Client;
using Orleans.Stream.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>
/// A rolling restart as Kubernetes does one (docs/operations.md): each broker process in turn gets SIGTERM, starts
/// again, and the next one goes only once the restarted one answers <c>/ready</c>, which waits until every replica
/// it holds is back in its ISR. Under an acks=all producer with min.insync.replicas=2 nothing fails: no produce is
/// refused or lost, and the topic holds every record once, in per-key order.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private const string Topic = "rolling";

    [Fact]
    public async Task A_rolling_restart_that_waits_for_readiness_keeps_an_acks_all_producer_going_without_a_failure()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path);
        await using OrleansStreamConnection connection = await cluster.ConnectWhenAllJoinedAsync();
        OrleansStreamClient client = connection.Client;
        await client.Admin.CreateTopicAsync(Topic, 3, replicationFactor: 3, new Dictionary<string, string> { ["min.insync.replicas"] = "2" });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int broker = 0; broker < 3; broker++)
        {
            await WaitForReadyAsync(http, cluster, broker);
        }

        // The producer runs until the restart is over (the stop file), however long the brokers take on this machine.
        string acksFile = Path.Combine(data.Path, "acks.tsv");
        string stopFile = Path.Combine(data.Path, "stop");
        Task<ProcessRun> producer = ProcessRun.DotnetAsync(Executables.LoadTool,
            ["verify-produce", "--cluster", cluster.Gateways, "--cluster-id", cluster.ClusterId, "--topic", Topic,
             "--records", "100000", "--rate", "300", "--keys", "16", "--acks-file", acksFile, "--max-seconds", "240", "--stop-file", stopFile],
            timeout: TimeSpan.FromSeconds(300));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int broker = 0; broker < 3; broker++)
        {
            await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(3)));
            await cluster.StopAsync(broker);
            output.WriteLine($"{clock.Elapsed}: broker {broker} stopped");
            cluster.Start(broker);
            await WaitForReadyAsync(http, cluster, broker);
            output.WriteLine($"{clock.Elapsed}: broker {broker} ready again");
        }

        await Task.WhenAny(producer, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(producer.IsCompleted, "the producer must still be running when the last broker is back");
        await File.WriteAllTextAsync(stopFile, "done");
        ProcessRun run = await producer;
        output.WriteLine($"{clock.Elapsed}: producer exited {run.ExitCode}: {run.Stdout.Trim()}");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"^acknowledged \d+, failed 0$", run.Stdout.Trim());
        List<(int Partition, long Offset, string Key, string Value)> acknowledged = AcknowledgedRecords.Read(acksFile);
        Assert.True(acknowledged.Count >= 300 * 10, $"only {acknowledged.Count} acknowledged");

        var log = new Dictionary<(int Partition, long Offset), (string Key, string Value)>();
        await using (Consumer consumer = client.CreateConsumer())
        {
            consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(Topic, p, 0)));
            foreach (ConsumeResult record in await consumer.ReadAsync(acknowledged.Count, TimeSpan.FromSeconds(60)))
            {
                log[(record.TopicPartition.Partition, record.Offset)] = (Encoding.UTF8.GetString(record.Key!.Value.Span), Encoding.UTF8.GetString(record.Value!.Value.Span));
            }
        }

        AcknowledgedRecords.AssertExactlyOnceInKeyOrder(log, acknowledged.Select(a => (a.Partition, a.Offset, a.Value)));
    }

    private static async Task WaitForReadyAsync(HttpClient http, BrokerProcesses cluster, int broker)
    {
        string last = "";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                using HttpResponseMessage ready = await http.GetAsync(cluster.Http(broker, "/ready"));
                last = $"{(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}";
                return ready.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException error)
            {
                last = error.Message; // not listening yet
                return false;
            }
        }, TimeSpan.FromSeconds(90), () => $"broker {broker} to be ready (last answer {last})");
    }
}
