using Orleans.Stream.EndToEnd.Tests.Support;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>The <c>ostream</c> CLI's failures, as a process against the shared cluster: one line on stderr and a non-zero exit.</summary>
[Collection(SharedClusterDefinition.Name)]
public sealed class CliErrorTests(KafkaCluster shared)
{
    [Fact]
    public async Task Errors_are_one_line_on_stderr_with_a_non_zero_exit()
    {
        BrokerProcesses cluster = shared.Cluster;
        ProcessRun invalid = await CliTests.Ostream(cluster, ["topic", "create", "bad name"]);
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Single(invalid.Stderr.Trim().Split('\n'));
        Assert.Contains("InvalidTopic", invalid.Stderr);

        ProcessRun unknown = await CliTests.Ostream(cluster, ["produce", "missing"], "x\n");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("does not exist", unknown.Stderr);

        await CliTests.Ostream(cluster, ["topic", "create", "tiny", "--config", "max.message.bytes=200"]);
        ProcessRun tooLarge = await CliTests.Ostream(cluster, ["produce", "tiny"], "ok\n" + new string('x', 500) + "\n");
        Assert.NotEqual(0, tooLarge.ExitCode);
        Assert.Contains("RecordTooLarge", tooLarge.Stderr);

        ProcessRun unreachable = await ProcessRun.DotnetAsync(Executables.Cli, ["topic", "list", "--cluster", "127.0.0.1:1"], timeout: TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Contains("cannot reach the cluster", unreachable.Stderr);

        ProcessRun noGroup = await CliTests.Ostream(cluster, ["group", "describe", "nobody"]);
        Assert.NotEqual(0, noGroup.ExitCode);
        Assert.Contains("GroupIdNotFound", noGroup.Stderr);

        ProcessRun help = await ProcessRun.DotnetAsync(Executables.Cli, ["consume", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--from-beginning", help.Stdout);
    }
}
