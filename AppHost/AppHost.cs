using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Local Orleans.Stream cluster: Azurite (the repository's pinned npm package, run with node), three broker silos
// and the Aspire dashboard. `dotnet run --project AppHost` from the repository root; the dashboard address and
// its login link are printed on the console. All state lives under .data/ in the repository root:
// .data/azurite (Azurite's blobs and tables: the cluster membership table and the controller's state) and
// .data/broker-N (broker N's partition logs), so a restart keeps the topics.

const int BrokerCount = 3;
const int BlobPort = 10000;
const int QueuePort = 10001;
const int TablePort = 10002;

IDistributedApplicationBuilder builder = DistributedApplication.CreateBuilder(args);

// AppHostDirectory is AppHost/; the repository root is its parent.
string repoRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
// `--DataRoot DIR` (or DataRoot in configuration) moves all state elsewhere, e.g. for tests.
string dataRoot = Path.GetFullPath(builder.Configuration["DataRoot"] ?? Path.Combine(repoRoot, ".data"));
string azuriteScript = Path.Combine(repoRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
if (!File.Exists(azuriteScript))
{
    // A fresh clone has no node_modules. The build normally runs `npm ci` (the RestoreAzurite target in the project
    // file); this covers a start without a build (`dotnet run --no-build`) after node_modules was removed.
    Console.WriteLine($"Orleans.Stream.AppHost: {azuriteScript} is missing, running `npm ci` in {repoRoot}");
    using Process npm = Process.Start(new ProcessStartInfo
    {
        FileName = OperatingSystem.IsWindows() ? "cmd.exe" : "npm",
        Arguments = OperatingSystem.IsWindows() ? "/c npm ci --no-audit --no-fund" : "ci --no-audit --no-fund",
        WorkingDirectory = repoRoot,
        UseShellExecute = false,
    }) ?? throw new InvalidOperationException("could not start npm");
    await npm.WaitForExitAsync().ConfigureAwait(false);
    if (npm.ExitCode != 0 || !File.Exists(azuriteScript))
    {
        Console.Error.WriteLine($"Orleans.Stream.AppHost: `npm ci` in {repoRoot} failed (exit code {npm.ExitCode}).");
        return 1;
    }
}

string azuriteLocation = Path.Combine(dataRoot, "azurite");
Directory.CreateDirectory(azuriteLocation);

// Azurite as a plain process (no container runtime needed), on its usual fixed ports, unproxied, so that the
// connection string below and any tool run by hand can name them.
IResourceBuilder<ExecutableResource> azurite = builder
    .AddExecutable(
        "azurite",
        "node",
        repoRoot,
        azuriteScript,
        "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(CultureInfo.InvariantCulture),
        "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(CultureInfo.InvariantCulture),
        "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(CultureInfo.InvariantCulture),
        "--location", azuriteLocation,
        "--loose",
        "--skipApiVersionCheck",
        "--disableTelemetry")
    .WithHttpEndpoint(port: BlobPort, targetPort: BlobPort, name: "blob", isProxied: false)
    .WithHttpEndpoint(port: QueuePort, targetPort: QueuePort, name: "queue", isProxied: false)
    .WithHttpEndpoint(port: TablePort, targetPort: TablePort, name: "table", isProxied: false)
    // An unauthenticated "list containers" is refused with 403 once Azurite serves requests.
    .WithHttpHealthCheck(path: "/devstoreaccount1?comp=list", statusCode: 403, endpointName: "blob");

// Azurite's well-known development account (public; documented by Microsoft for the emulator).
const string storage =
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;" +
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" +
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

var brokers = new List<IResource>();
for (int id = 0; id < BrokerCount; id++)
{
    string name = string.Create(CultureInfo.InvariantCulture, $"broker-{id}");
    string dataDir = Path.Combine(dataRoot, name);
    Directory.CreateDirectory(dataDir);
    int siloPort = 11111 + id;
    int gatewayPort = 30000 + id;
    int httpPort = 8080 + id; // /alive, /ready, /health, /metrics
    int kafkaPort = 9092 + id; // Kafka clients: bootstrap.servers=127.0.0.1:9092

    IResourceBuilder<ProjectResource> broker = builder.AddProject<Projects.Orleans_Stream_Silo>(name)
        .WithEnvironment("DOTNET_ENVIRONMENT", "Development")
        .WithEnvironment("Broker__Id", id.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Broker__DataDir", dataDir)
        .WithEnvironment("Orleans__ClusterId", "ostream-local")
        .WithEnvironment("Orleans__AdvertisedIPAddress", "127.0.0.1")
        .WithEnvironment("Orleans__SiloPort", siloPort.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Orleans__GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Broker__HttpPort", httpPort.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("Kafka__Port", kafkaPort.ToString(CultureInfo.InvariantCulture))
        .WithEnvironment("ConnectionStrings__storage", storage)
        .WithHttpEndpoint(port: httpPort, targetPort: httpPort, name: "http", isProxied: false)
        .WithEndpoint(port: kafkaPort, targetPort: kafkaPort, scheme: "tcp", name: "kafka", isProxied: false)
        // Healthy: logs recovered, joined, every replica it holds in sync (Degraded, e.g. under-replicated, is 200 too).
        .WithHttpHealthCheck(path: "/health", endpointName: "http")
        .WaitFor(azurite);
    brokers.Add(broker.Resource);
}

// Aspire stops every resource at once, so Azurite is gone before the silos can leave the cluster: they then spend
// ~10 s retrying the membership table and leave their entries Active, and the next start has to vote them out.
// Registered after Aspire's own services, this one is stopped first: it stops the brokers and waits for them.
builder.Services.AddHostedService(services => new StopBrokersFirst(brokers, services));

await builder.Build().RunAsync().ConfigureAwait(false);
return 0;

internal sealed class StopBrokersFirst(IReadOnlyList<IResource> brokers, IServiceProvider services) : IHostedService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        ResourceCommandService commands = services.GetRequiredService<ResourceCommandService>();
        ResourceNotificationService notifications = services.GetRequiredService<ResourceNotificationService>();
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Stream.AppHost");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var started = Stopwatch.StartNew();
        await Task.WhenAll(brokers.Select(StopAsync)).ConfigureAwait(false);
        Log.BrokersStopped(logger, started.Elapsed.TotalSeconds);

        async Task StopAsync(IResource broker)
        {
            try
            {
                ExecuteCommandResult result = await commands
                    .ExecuteCommandAsync(broker, KnownResourceCommands.StopCommand, timeout.Token)
                    .ConfigureAwait(false);
                if (result.Success)
                {
                    await notifications
                        .WaitForResourceAsync(broker.Name, KnownResourceStates.TerminalStates, timeout.Token)
                        .ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                Log.BrokerStopTimedOut(logger, broker.Name, Timeout.TotalSeconds);
            }
            catch (Exception error)
            {
                // Never block the rest of the shutdown: Aspire still stops whatever is left.
                Log.BrokerStopFailed(logger, error, broker.Name);
            }
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped the brokers before Azurite in {Elapsed:F1} s.")]
    public static partial void BrokersStopped(ILogger logger, double elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Broker} did not stop within {Timeout} s.")]
    public static partial void BrokerStopTimedOut(ILogger logger, string broker, double timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop {Broker} before Azurite.")]
    public static partial void BrokerStopFailed(ILogger logger, Exception error, string broker);
}
