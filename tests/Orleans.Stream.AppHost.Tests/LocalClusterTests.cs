using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Orleans.Stream.AppHost.Tests;

/// <summary>
/// The README's run command, for real: the AppHost starts Azurite and three brokers, and the CLI, with its
/// defaults (the AppHost's gateways and cluster id), creates a topic and gets records through it.
/// </summary>
[Collection(AppHostTests.Name)]
public sealed class LocalClusterTests
{
    [Fact]
    public async Task The_apphost_runs_a_three_broker_cluster_the_cli_reaches_with_its_defaults()
    {
        using var data = new Orleans.Stream.Testing.TempDirectory();
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using DistributedApplication app = await LocalApp.StartAsync(data.Path, startup.Token);

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
        Assert.Equal(3, Directory.GetDirectories(data.Path, "tour-*", SearchOption.AllDirectories).Length);
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
}
