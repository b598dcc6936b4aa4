using System.Diagnostics;
using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.EndToEnd.Tests.Support;

/// <summary>
/// A cluster of real broker processes (<c>ostream-broker</c>) on loopback, clustered through Azure Table storage on
/// a real Azurite that also holds the controller's state. Each broker can be killed hard and started again.
/// </summary>
internal sealed class BrokerProcesses : IAsyncDisposable
{
    private readonly Process?[] _brokers;
    private readonly int[] _siloPorts;
    private readonly int[] _gatewayPorts;
    private readonly int[] _httpPorts;
    private readonly int[] _kafkaPorts;
    private readonly StringBuilder[] _logs;

    private readonly IReadOnlyDictionary<string, string> _environment;

    private BrokerProcesses(Azurite azurite, string dataRoot, int count, IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment ?? new Dictionary<string, string>();
        Azurite = azurite;
        DataRoot = dataRoot;
        ClusterId = "cli-" + Guid.NewGuid().ToString("N")[..8];
        _brokers = new Process?[count];
        _siloPorts = new int[count];
        _gatewayPorts = new int[count];
        _httpPorts = new int[count];
        _kafkaPorts = new int[count];
        _logs = new StringBuilder[count];
        for (int i = 0; i < count; i++)
        {
            _siloPorts[i] = LoopbackPort.Free();
            _gatewayPorts[i] = LoopbackPort.Free();
            _httpPorts[i] = LoopbackPort.Free();
            _kafkaPorts[i] = LoopbackPort.Free();
            _logs[i] = new StringBuilder();
        }
    }

    public Azurite Azurite { get; }

    public string DataRoot { get; }

    public string ClusterId { get; }

    /// <summary>Kafka's <c>bootstrap.servers</c>: every broker's Kafka listener.</summary>
    public string KafkaBootstrap => string.Join(",", _kafkaPorts.Select(p => $"127.0.0.1:{p}"));

    /// <summary>Broker <paramref name="broker"/>'s Kafka port on loopback.</summary>
    public int KafkaPort(int broker) => _kafkaPorts[broker];

    public bool IsRunning(int broker) => _brokers[broker] is { HasExited: false };

    /// <summary>The value for <c>--cluster</c>: every broker's gateway.</summary>
    public string Gateways => string.Join(",", _gatewayPorts.Select(p => $"127.0.0.1:{p}"));

    /// <summary>Azurite and <paramref name="count"/> brokers, each with <paramref name="environment"/> added to its own.</summary>
    public static async Task<BrokerProcesses> StartAsync(string dataRoot, int count = 3, IReadOnlyDictionary<string, string>? environment = null)
    {
        Azurite azurite = await Azurite.StartAsync();
        var cluster = new BrokerProcesses(azurite, dataRoot, count, environment);
        for (int i = 0; i < count; i++)
        {
            cluster.Start(i);
        }

        for (int i = 0; i < count; i++)
        {
            await cluster.WaitForGatewayAsync(i);
        }

        return cluster;
    }

    public void Start(int broker)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[Executables.Broker, "--broker-id", $"{broker}", "--data-dir", Path.Combine(DataRoot, $"broker-{broker}"),
            "--silo-port", $"{_siloPorts[broker]}", "--gateway-port", $"{_gatewayPorts[broker]}", "--http-port", $"{_httpPorts[broker]}", "--kafka-port", $"{_kafkaPorts[broker]}", "--cluster-id", ClusterId, "--storage", Azurite.ConnectionString])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach ((string name, string value) in _environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        StringBuilder log = _logs[broker];
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _brokers[broker] = process;
    }

    /// <summary>A grain client of the cluster, once the controller counts every broker as a member (an open gateway is not yet one).</summary>
    public async Task<OrleansStreamConnection> ConnectWhenAllJoinedAsync()
    {
        OrleansStreamConnection connection = await OrleansStreamConnection.ConnectAsync(Gateways, ClusterId);
        try
        {
            await Eventually.TrueDespiteFaultsAsync(
                async () => (await connection.Client.Admin.DescribeClusterAsync()).Brokers.Count(b => b.IsAlive) == _brokers.Length,
                TimeSpan.FromSeconds(60), () => $"the controller to see all {_brokers.Length} brokers");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: the broker gets no chance to flush or leave the cluster.</summary>
    public async Task KillAsync(int broker)
    {
        if (_brokers[broker] is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _brokers[broker]?.Dispose();
        _brokers[broker] = null;
    }

    /// <summary>SIGTERM, as Kubernetes stops a pod: the broker leaves the cluster and closes its logs. Waits for it to exit.</summary>
    public async Task StopAsync(int broker, TimeSpan? timeout = null)
    {
        if (_brokers[broker] is { HasExited: false } process)
        {
            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Broker {broker} did not stop within {timeout ?? TimeSpan.FromSeconds(60)} of SIGTERM. Its output:\n{Log(broker)}");
            }
        }

        _brokers[broker]?.Dispose();
        _brokers[broker] = null;
    }

    /// <summary>Broker <paramref name="broker"/>'s health endpoint (e.g. <c>/ready</c>), on loopback.</summary>
    public Uri Http(int broker, string path) => new($"http://127.0.0.1:{_httpPorts[broker]}{path}");

    public string Log(int broker)
    {
        lock (_logs[broker])
        {
            return _logs[broker].ToString();
        }
    }

    private async Task WaitForGatewayAsync(int broker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await LoopbackPort.AcceptsAsync(_gatewayPorts[broker]))
        {
            if (DateTime.UtcNow > deadline || _brokers[broker] is not { HasExited: false })
            {
                throw new InvalidOperationException($"Broker {broker} did not open its gateway on {_gatewayPorts[broker]}. Its output:\n{Log(broker)}");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < _brokers.Length; i++)
        {
            await KillAsync(i);
        }

        await Azurite.DisposeAsync();
    }
}
