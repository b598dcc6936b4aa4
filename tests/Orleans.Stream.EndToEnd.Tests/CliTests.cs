using System.Text;
using Orleans.Stream.EndToEnd.Tests.Support;

namespace Orleans.Stream.EndToEnd.Tests;

/// <summary>The <c>ostream</c> CLI as a process against three broker processes of its own (it lists every topic and group there is).</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Create_produce_1000_lines_consume_them_back_and_describe()
    {
        using var data = new TempDirectory();
        await using BrokerProcesses cluster = await BrokerProcesses.StartAsync(data.Path);

        ProcessRun created = await Ostream(cluster, ["topic", "create", "lines", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=-1"]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Contains("Created topic lines", created.Stdout);

        var input = new StringBuilder();
        for (int i = 0; i < 1000; i++)
        {
            input.Append("key-").Append(i % 10).Append(':').Append("value-").Append(i).Append('\n');
        }

        ProcessRun produced = await Ostream(cluster, ["produce", "lines", "--key-separator", ":", "--acks", "all"], input.ToString());
        Assert.True(produced.ExitCode == 0, produced.Stderr);

        ProcessRun consumed = await Ostream(cluster, ["consume", "lines", "--from-beginning", "--max-messages", "1000", "--timeout-ms", "20000", "--print-key", "--key-separator", ":"]);
        Assert.True(consumed.ExitCode == 0, consumed.Stderr);
        string[] lines = consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Length);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"key-{i % 10}:value-{i}").Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
        foreach (IGrouping<string, string> key in lines.GroupBy(l => l[..l.IndexOf(':')]))
        {
            // Per-key order survives: the values of one key come out in the order they went in.
            int[] sequence = [.. key.Select(l => int.Parse(l[(l.LastIndexOf('-') + 1)..]))];
            Assert.Equal(sequence.Order(), sequence);
        }

        ProcessRun partition = await Ostream(cluster, ["consume", "lines", "--partition", "1", "--offset", "earliest", "--timeout-ms", "2000"]);
        Assert.True(partition.ExitCode == 0, partition.Stderr);
        Assert.InRange(partition.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, 1, 999);

        // A consumer group: a first member reads 600 records and commits them; the next one gets exactly the other 400.
        // Both start from the beginning where the group has no committed offset: the first may reach its 600 from two
        // partitions before it has even looked up where the third starts, and then commits nothing for that one.
        ProcessRun firstMember = await Ostream(cluster, ["consume", "lines", "--group", "readers", "--from-beginning", "--max-messages", "600", "--timeout-ms", "20000"]);
        Assert.True(firstMember.ExitCode == 0, firstMember.Stderr);
        ProcessRun secondMember = await Ostream(cluster, ["consume", "lines", "--group", "readers", "--from-beginning", "--timeout-ms", "10000"]);
        Assert.True(secondMember.ExitCode == 0, secondMember.Stderr);
        string[] firstLines = firstMember.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] secondLines = secondMember.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(600, firstLines.Length);
        Assert.True(secondLines.Length == 400, $"the second member read {secondLines.Length} records, not 400. It said: {secondMember.Stderr}");
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"value-{i}").Order(StringComparer.Ordinal), firstLines.Concat(secondLines).Order(StringComparer.Ordinal));

        ProcessRun groups = await Ostream(cluster, ["group", "list"]);
        Assert.Equal("readers", groups.Stdout.Trim());
        ProcessRun group = await Ostream(cluster, ["group", "describe", "readers"]);
        Assert.True(group.ExitCode == 0, group.Stderr);
        Assert.Contains("TotalLag: 0", group.Stdout);
        string[] rows = [.. group.Stdout.Split('\n').Where(l => l.StartsWith("lines\t", StringComparison.Ordinal))];
        Assert.Equal(3, rows.Length);
        Assert.Equal(1000, rows.Sum(r => long.Parse(r.Split('\t')[2]))); // committed offsets add up to every record

        ProcessRun described = await Ostream(cluster, ["topic", "describe", "lines"]);
        Assert.True(described.ExitCode == 0, described.Stderr);
        Assert.Contains("PartitionCount: 3", described.Stdout);
        Assert.Contains("retention.ms=-1", described.Stdout);
        long total = described.Stdout.Split('\n').Where(l => l.Contains("HighWatermark: ")).Sum(l => long.Parse(l.Split("HighWatermark: ")[1].Split('\t')[0]));
        Assert.Equal(1000, total);

        // A tiered topic: the broker processes upload its sealed segments to Azurite, and describe shows the remote tier.
        ProcessRun tiered = await Ostream(cluster, ["topic", "create", "archive", "--partitions", "1", "--config", "remote.storage.enable=true", "--config", "segment.bytes=4096"]);
        Assert.True(tiered.ExitCode == 0, tiered.Stderr);
        // Two runs of the CLI: each may send its lines as one batch (a batch never splits across segments), so the
        // second one's batches are what seal the first segment of 4 KiB and make it eligible for the remote tier.
        string[] archiveLines = input.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(0, (await Ostream(cluster, ["produce", "archive"], string.Join('\n', archiveLines[..500]) + "\n")).ExitCode);
        Assert.Equal(0, (await Ostream(cluster, ["produce", "archive"], string.Join('\n', archiveLines[500..]) + "\n")).ExitCode);
        string? remote = null;
        string lastDescribe = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(90); remote is null && DateTime.UtcNow < deadline; await Task.Delay(500))
        {
            lastDescribe = (await Ostream(cluster, ["topic", "describe", "archive"])).Stdout;
            remote = lastDescribe.Contains("RemoteSegments: ", StringComparison.Ordinal) && !lastDescribe.Contains("RemoteSegments: 0", StringComparison.Ordinal) ? lastDescribe : null;
        }

        Assert.True(remote is not null,
            $"no segment of 'archive' reached the remote tier within 90 s. Last describe:\n{lastDescribe}\nBrokers:\n{cluster.Log(0)}\n{cluster.Log(1)}\n{cluster.Log(2)}");
        Assert.Contains("RemoteLogStartOffset: 0", remote);

        ProcessRun listed = await Ostream(cluster, ["topic", "list"]);
        Assert.Equal("archive\nlines", listed.Stdout.Trim().ReplaceLineEndings("\n"));

        ProcessRun clusterView = await Ostream(cluster, ["cluster", "describe"]);
        Assert.True(clusterView.ExitCode == 0, clusterView.Stderr);
        Assert.Contains("Brokers: 3 alive of 3", clusterView.Stdout);

        // The controller spread the partitions evenly already: a rebalance plan has nothing to move.
        ProcessRun rebalance = await Ostream(cluster, ["cluster", "rebalance"]);
        Assert.True(rebalance.ExitCode == 0, rebalance.Stderr);
        Assert.Equal("The live brokers are balanced: nothing to move.", rebalance.Stdout.Trim());
    }

    internal static Task<ProcessRun> Ostream(BrokerProcesses cluster, string[] args, string? stdin = null) =>
        ProcessRun.DotnetAsync(Executables.Cli, [.. args, "--cluster", cluster.Gateways, "--cluster-id", cluster.ClusterId], stdin, TimeSpan.FromSeconds(90));
}
