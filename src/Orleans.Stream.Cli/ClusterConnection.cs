using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Stream.Client;

namespace Orleans.Stream.Cli;

/// <summary>
/// The CLI's connection to a cluster: an Orleans client on the gateways named by <c>--cluster</c> /
/// <c>OSTREAM_CLUSTER</c> (default: the three brokers <c>dotnet run --project AppHost</c> starts).
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    public const string DefaultGateways = "127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002";
    public const string DefaultClusterId = "ostream-local";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly IHost _host;

    private ClusterConnection(IHost host, string gateways)
    {
        _host = host;
        Gateways = gateways;
        Client = host.Services.GetRequiredService<OrleansStreamClient>();
    }

    public OrleansStreamClient Client { get; }

    public string Gateways { get; }

    public static async Task<ClusterConnection> ConnectAsync(string? gateways, string? clusterId, CancellationToken cancellationToken)
    {
        gateways ??= Environment.GetEnvironmentVariable("OSTREAM_CLUSTER") ?? DefaultGateways;
        clusterId ??= Environment.GetEnvironmentVariable("OSTREAM_CLUSTER_ID") ?? DefaultClusterId;
        IPEndPoint[] endpoints = ParseEndpoints(gateways);

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        long deadline = Environment.TickCount64 + (long)ConnectTimeout.TotalMilliseconds;
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoints);
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = clusterId;
                options.ServiceId = "orleans-stream";
            });
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (Environment.TickCount64 > deadline)
                {
                    return false;
                }

                await Task.Delay(500, token);
                return true;
            });
            client.AddOrleansStreamClient();
        });

        IHost host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            host.Dispose();
            throw new CliException($"cannot reach the cluster at {gateways} (cluster id {clusterId}): {error.GetBaseException().Message}");
        }

        return new ClusterConnection(host, gateways);
    }

    private static IPEndPoint[] ParseEndpoints(string gateways)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (string part in gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            {
                throw new CliException($"--cluster: '{part}' is not host:port.");
            }

            string host = part[..colon].Trim('[', ']');
            IPAddress address = IPAddress.TryParse(host, out IPAddress? ip)
                ? ip
                : Array.Find(Dns.GetHostAddresses(host), a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    ?? throw new CliException($"--cluster: cannot resolve '{host}'.");
            endpoints.Add(new IPEndPoint(address, port));
        }

        return endpoints.Count > 0 ? [.. endpoints] : throw new CliException("--cluster names no gateway.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }
}
