using System.Diagnostics;

namespace Orleans.Stream.Testing;

/// <summary>
/// A real Azurite (the repository's pinned npm package) on free loopback ports, in memory, for one test class or
/// test run. Blob and table endpoints; killed with its process tree on dispose.
/// </summary>
internal sealed class Azurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly int _blobPort, _queuePort, _tablePort;
    private readonly string? _location;
    private Process? _process;

    private Azurite(int blobPort, int queuePort, int tablePort, string? location)
    {
        (_blobPort, _queuePort, _tablePort, _location) = (blobPort, queuePort, tablePort, location);
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey + ";" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    /// <summary>
    /// Starts Azurite in memory, or (with <paramref name="location"/>) keeping its data in that directory, so that it
    /// can be stopped and started again (<see cref="StopAsync"/>, <see cref="StartAgainAsync"/>) with everything kept.
    /// </summary>
    public static async Task<Azurite> StartAsync(string? location = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            var azurite = new Azurite(LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free(), location);
            try
            {
                await azurite.StartAgainAsync();
                return azurite;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Most likely another process took one of the ports between the check and Azurite's bind: new ports.
            }
        }
    }

    /// <summary>Starts the process (again) on the same ports: a blob store that comes back after an outage.</summary>
    public async Task StartAgainAsync()
    {
        string root = RepositoryRoot();
        string script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed: run `npm ci` in {root} (bash .ci/run does).");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[script, "--blobHost", "127.0.0.1", "--blobPort", $"{_blobPort}", "--queueHost", "127.0.0.1", "--queuePort", $"{_queuePort}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{_tablePort}", "--loose", "--skipApiVersionCheck", "--disableTelemetry", "--silent"])
        {
            start.ArgumentList.Add(arg);
        }

        if (_location is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(_location);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } text && errors.Count < 20)
            {
                errors.Enqueue(text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (int port in (int[])[_blobPort, _tablePort])
        {
            while (!await LoopbackPort.AcceptsAsync(port))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    string why = process.HasExited ? $"it exited with {process.ExitCode}" : "it is still starting after 30 s";
                    await StopAsync();
                    throw new InvalidOperationException(
                        $"Azurite did not start listening on 127.0.0.1:{port} ({why}): {string.Join(" | ", errors)}");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>Kills the process: the blob store is down until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited && _location is not null)
            {
                // Interrupted, Azurite saves its metadata first (killed, it loses the last seconds of writes it acknowledged).
                using Process? interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
            _process = null;
        }
    }

    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Stream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Orleans.Stream.sln) above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
