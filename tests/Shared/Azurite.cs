using System.Diagnostics;

namespace Orleans.Stream.Testing;

/// <summary>
/// A real Azurite (the repository's pinned npm package) on free loopback ports, in memory, for one test class or
/// test run. Blob and table endpoints; killed with its process tree on dispose.
/// </summary>
internal sealed class Azurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;

    private Azurite(Process process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey + ";" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        string root = RepositoryRoot();
        string script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed: run `npm ci` in {root} (bash .ci/run does).");
        }

        int blob = LoopbackPort.Free(), queue = LoopbackPort.Free(), table = LoopbackPort.Free();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[script, "--blobHost", "127.0.0.1", "--blobPort", $"{blob}", "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}", "--inMemoryPersistence", "--loose", "--skipApiVersionCheck", "--disableTelemetry", "--silent"])
        {
            start.ArgumentList.Add(arg);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new Azurite(process, blob, queue, table);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (int port in (int[])[blob, table])
        {
            while (!await LoopbackPort.AcceptsAsync(port))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    await azurite.DisposeAsync();
                    throw new InvalidOperationException($"Azurite did not start listening on 127.0.0.1:{port}.");
                }

                await Task.Delay(100);
            }
        }

        return azurite;
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
