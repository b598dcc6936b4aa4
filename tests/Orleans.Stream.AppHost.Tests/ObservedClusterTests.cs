using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Stream.Client;

namespace Orleans.Stream.AppHost.Tests;

/// <summary>
/// The README's run command, for real, as a newcomer, an operator and an application see it (one AppHost start:
/// it costs more than everything the test does with it): the AppHost starts Azurite and three brokers; the CLI with
/// its defaults (the AppHost's gateways and cluster id) creates a topic and gets records through it; a replicated
/// topic through the grain client gives every record back; the brokers' /metrics count what was produced and their
/// /health is green; then one broker resource is stopped and the other two keep serving (and say they are
/// under-replicated).
/// </summary>
[Collection(AppHostTests.Name)]
public sealed partial class ObservedClusterTests
{
    private const int PerRound = 300;

    [Fact]
    public async Task The_apphost_cluster_serves_the_cli_and_the_grain_client_reports_metrics_and_health_and_survives_a_stopped_broker()
    {
        using var data = new Orleans.Stream.Testing.TempDirectory();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using DistributedApplication app = await LocalApp.StartAsync(data.Path, startup.Token);

        await CliTourAsync(data.Path);

        await using OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(cancellationToken: startup.Token);
        OrleansStreamClient client = connection.Client;
        await Eventually.TrueDespiteFaultsAsync(async () => (await client.Admin.DescribeClusterAsync()).Brokers.Count(b => b.IsAlive) == 3,
            TimeSpan.FromMinutes(1), () => "3 live brokers");
        await client.Admin.CreateTopicAsync("observed", partitions: 3, replicationFactor: 3,
            new Dictionary<string, string> { ["min.insync.replicas"] = "2" });

        await ProduceRoundAsync(client, round: 0);
        await AssertEveryRecordAsync(client, rounds: 1);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        double produced = 0;
        for (int id = 0; id < 3; id++)
        {
            produced += ProducedRecords(await http.GetStringAsync(Broker(id, "/metrics")), "observed");
            (HttpStatusCode status, string overall) = await HealthAsync(http, id);
            Assert.Equal((HttpStatusCode.OK, "Healthy"), (status, overall));
        }

        Assert.Equal(PerRound, produced); // every record counted once, by the leader that appended it

        // One broker stops (as from the dashboard): its partitions fail over, the other two keep serving.
        // Under load the command can report a failure while the broker is still leaving gracefully: ask again, and
        // judge by the resource reaching a terminal state.
        ResourceCommandService commands = app.Services.GetRequiredService<ResourceCommandService>();
        string? why = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            ExecuteCommandResult stopped = await commands.ExecuteCommandAsync("broker-2", KnownResourceCommands.StopCommand, wait.Token);
            why = stopped.Message;
            try
            {
                await app.ResourceNotifications.WaitForResourceAsync("broker-2", KnownResourceStates.TerminalStates, wait.Token);
                why = null;
                break;
            }
            catch (OperationCanceledException)
            {
                why ??= "not stopped within 60 s";
            }
        }

        Assert.True(why is null, $"broker-2 did not stop: {why}");

        await ProduceRoundAsync(client, round: 1);
        await AssertEveryRecordAsync(client, rounds: 2);
        for (int id = 0; id < 2; id++)
        {
            // Still serving (200), and saying that the partitions it leads lack broker 2's replica.
            await Eventually.TrueDespiteFaultsAsync(async () => await HealthAsync(http, id) == (HttpStatusCode.OK, "Degraded"),
                TimeSpan.FromSeconds(30), () => $"broker-{id} to report Degraded");
        }
    }

    /// <summary>The README's tour: the CLI, with its defaults, sees the three brokers and gets records through a topic.</summary>
    private static async Task CliTourAsync(string dataRoot)
    {
        ProcessRun cluster = await WaitForBrokersAsync();
        Assert.Contains("Brokers: 3 alive of 3", cluster.Stdout);

        ProcessRun created = await ProcessRun.DotnetAsync(Executables.Cli, ["topic", "create", "tour", "--partitions", "3"]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        ProcessRun produced = await ProcessRun.DotnetAsync(Executables.Cli, ["produce", "tour", "--key-separator", ":"], "alice:order-1\nbob:order-2\nalice:order-3\n");
        Assert.True(produced.ExitCode == 0, produced.Stderr);
        ProcessRun consumed = await ProcessRun.DotnetAsync(Executables.Cli, ["consume", "tour", "--from-beginning", "--max-messages", "3", "--timeout-ms", "20000", "--print-key", "--key-separator", ":"]);
        Assert.True(consumed.ExitCode == 0, consumed.Stderr);
        string[] lines = consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["alice:order-1", "alice:order-3", "bob:order-2"], lines.Order(StringComparer.Ordinal));
        Assert.True(Array.IndexOf(lines, "alice:order-1") < Array.IndexOf(lines, "alice:order-3"));

        // Each broker keeps its data under the data root the AppHost was given.
        Assert.Equal(3, Directory.GetDirectories(dataRoot, "tour-*", SearchOption.AllDirectories).Length);
    }

    private static async Task<ProcessRun> WaitForBrokersAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            ProcessRun run = await ProcessRun.DotnetAsync(Executables.Cli, ["cluster", "describe"]);
            if ((run.ExitCode == 0 && run.Stdout.Contains("Brokers: 3 alive of 3", StringComparison.Ordinal)) || DateTime.UtcNow > deadline)
            {
                return run;
            }

            await Task.Delay(1000);
        }
    }

    private static async Task ProduceRoundAsync(OrleansStreamClient client, int round)
    {
        await using Producer producer = client.CreateProducer(new ProducerOptions { Acks = Acks.All });
        var sends = new List<Task<DeliveryResult>>(PerRound);
        for (int i = 0; i < PerRound; i++)
        {
            int n = (round * PerRound) + i;
            sends.Add(producer.ProduceAsync("observed", Encoding.UTF8.GetBytes($"key-{n % 10}"), Encoding.UTF8.GetBytes($"value-{n}")).AsTask());
        }

        await Task.WhenAll(sends);
    }

    /// <summary>Every record of every round comes back exactly once, each key's values in the order they were sent.</summary>
    private static async Task AssertEveryRecordAsync(OrleansStreamClient client, int rounds)
    {
        await using Consumer consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest });
        consumer.Assign([.. Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("observed", p, OffsetSpec.Earliest))]);
        List<ConsumeResult> records = await consumer.ReadAsync(rounds * PerRound, TimeSpan.FromMinutes(1));
        var values = records.Select(r => Encoding.UTF8.GetString(r.Value!.Value.Span)).ToList();
        Assert.Equal(rounds * PerRound, values.Distinct().Count());
        foreach (IGrouping<string, ConsumeResult> key in records.GroupBy(r => Encoding.UTF8.GetString(r.Key!.Value.Span)))
        {
            int[] order = [.. key.Select(r => int.Parse(Encoding.UTF8.GetString(r.Value!.Value.Span)["value-".Length..], CultureInfo.InvariantCulture))];
            Assert.Equal(order.Order(), order);
        }
    }

    private static Uri Broker(int id, string path) => new($"http://127.0.0.1:{8080 + id}{path}");

    private static async Task<(HttpStatusCode Status, string Overall)> HealthAsync(HttpClient http, int id)
    {
        using HttpResponseMessage response = await http.GetAsync(Broker(id, "/health"));
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("status").GetString()!);
    }

    /// <summary>The sum of <c>ostream_produce_records_total</c> over the series of one topic, from Prometheus' text format.</summary>
    private static double ProducedRecords(string metrics, string topic)
    {
        double sum = 0;
        foreach (Match line in ProducedLine().Matches(metrics))
        {
            if (line.Groups["labels"].Value.Contains($"ostream_topic=\"{topic}\"", StringComparison.Ordinal))
            {
                sum += double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"^ostream_produce_records_total\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex ProducedLine();
}
