using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.Stream.Storage.CrashHelper;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>
/// A real crash: a separate process appends with group commit and prints each acknowledged offset; the test kills it
/// with SIGKILL mid-stream, reopens the log and demands every acknowledged record, byte for byte.
/// </summary>
public sealed class ProcessCrashTests
{
    [Fact]
    public async Task Every_acknowledged_record_survives_sigkill_with_its_exact_bytes()
    {
        using var temp = new TempDirectory();
        string logDirectory = temp.Sub("crash-0");
        var acks = new List<(int Seq, long First, long Last)>();

        for (int round = 0; round < 2; round++)
        {
            // Round 2 restarts on the recovered log: appends continue after whatever the first crash left.
            acks.AddRange(await RunAndKill(logDirectory, minimumAcks: 300));
        }

        await using PartitionLog log = PartitionLog.Open(logDirectory);
        var byOffset = Batches.ReadAll(log).ToDictionary(r => r.Offset);
        Assert.Equal(log.LogEndOffset - log.LogStartOffset, byOffset.Count);

        foreach ((int seq, long first, long last) in acks)
        {
            Assert.Equal(CrashWorkload.RecordCount(seq) - 1, last - first);
            for (int i = 0; i <= last - first; i++)
            {
                Assert.True(byOffset.TryGetValue(first + i, out TestRecord? record), $"acknowledged offset {first + i} (seq {seq}) is missing");
                (byte[] key, byte[] value, long timestamp) = CrashWorkload.Record(seq, i);
                Assert.Equal(key, record!.Key);
                Assert.Equal(value, record.Value);
                Assert.Equal(timestamp, record.Timestamp);
                Assert.Equal(seq.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(record.Headers.Single().Value!));
            }
        }

        // Nothing in the log is garbage: every record is some workload batch's record, with its bytes.
        foreach (TestRecord record in byOffset.Values)
        {
            string[] parts = Encoding.UTF8.GetString(record.Key!)["seq".Length..].Split('-');
            (byte[] key, byte[] value, _) = CrashWorkload.Record(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
            Assert.Equal(key, record.Key);
            Assert.Equal(value, record.Value);
        }
    }

    private static async Task<List<(int, long, long)>> RunAndKill(string logDirectory, int minimumAcks)
    {
        var start = new ProcessStartInfo(DotnetHost(), [HelperPath(), logDirectory, "4"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var acks = new List<(int, long, long)>();
        var stderr = new StringBuilder();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && Parse(e.Data) is { } ack)
            {
                lock (acks)
                {
                    acks.Add(ack);
                    if (acks.Count >= minimumAcks)
                    {
                        enough.TrySetResult();
                    }
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Task exited = process.WaitForExitAsync();
            Task first = await Task.WhenAny(enough.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.True(first == enough.Task, first == exited ? $"helper exited early: {stderr}" : $"helper acknowledged only {acks.Count} appends in 60 s");
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Unix: no flush, no dispose, no finally blocks
        }

        // WaitForExit() with no timeout also drains the redirected output: acks printed before death count too.
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
        lock (acks)
        {
            return [.. acks];
        }
    }

    private static (int, long, long)? Parse(string line)
    {
        string[] parts = line.Trim().Split(' ');
        return parts.Length == 4 && parts[0] == "ACK"
            ? (int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture))
            : null;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The helper is built next to this project (same configuration and framework).</summary>
    private static string HelperPath()
    {
        string testBin = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string framework = Path.GetFileName(testBin);
        string configuration = Path.GetFileName(Path.GetDirectoryName(testBin)!);
        string testsRoot = Path.GetFullPath(Path.Combine(testBin, "..", "..", "..", ".."));
        string helper = Path.Combine(testsRoot, "Orleans.Stream.Storage.CrashHelper", "bin", configuration, framework, "Orleans.Stream.Storage.CrashHelper.dll");
        Assert.True(File.Exists(helper), $"crash helper not built at {helper}");
        return helper;
    }
}
