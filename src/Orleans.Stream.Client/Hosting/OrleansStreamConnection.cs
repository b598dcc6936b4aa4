using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Stream.Client;

namespace Orleans.Stream.Client;

/// <summary>
/// A ready-made connection for programs that are not Orleans hosts themselves (the CLI, tools, scripts): an
/// Orleans client on a list of broker gateways, like Kafka's <c>bootstrap.servers</c>. Applications that host
/// Orleans already use <c>AddOrleansStreamClient</c> on their own client builder instead.
/// </summary>
public sealed class OrleansStreamConnection : IAsyncDisposable
{
    public const string DefaultGateways = "127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002";
    public const string DefaultClusterId = "ostream-local";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly IHost _host;

    private OrleansStreamConnection(IHost host, string gateways)
    {
        _host = host;
        Gateways = gateways;
        Client = host.Services.GetRequiredService<OrleansStreamClient>();
    }

    public OrleansStreamClient Client { get; }

    public string Gateways { get; }

    /// <summary>
    /// Connects to the brokers at <paramref name="gateways"/> (comma-separated host:port; default
    /// <c>$OSTREAM_CLUSTER</c>, else the local AppHost cluster) whose Orleans cluster id is <paramref name="clusterId"/>
    /// (default <c>$OSTREAM_CLUSTER_ID</c>, else <c>ostream-local</c>). Throws <see cref="OrleansStreamException"/>
    /// when no gateway answers within 15 seconds.
    /// </summary>
    public static async Task<OrleansStreamConnection> ConnectAsync(string? gateways = null, string? clusterId = null, CancellationToken cancellationToken = default)
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
            client.AddActivityPropagation();
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
            throw new OrleansStreamException(ErrorCode.LeaderNotAvailable, $"cannot reach the cluster at {gateways} (cluster id {clusterId}): {error.GetBaseException().Message}");
        }

        return new OrleansStreamConnection(host, gateways);
    }

    private static IPEndPoint[] ParseEndpoints(string gateways)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (string part in gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            {
                throw new ArgumentException($"Gateway '{part}' is not host:port.", nameof(gateways));
            }

            string host = part[..colon].Trim('[', ']');
            IPAddress address = IPAddress.TryParse(host, out IPAddress? ip)
                ? ip
                : Array.Find(Dns.GetHostAddresses(host), a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    ?? throw new ArgumentException($"Cannot resolve gateway host '{host}'.", nameof(gateways));
            endpoints.Add(new IPEndPoint(address, port));
        }

        return endpoints.Count > 0 ? [.. endpoints] : throw new ArgumentException("No gateway given.", nameof(gateways));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            // Asynchronously: the client's per-broker connections close with it.
            if (_host is IAsyncDisposable host)
            {
                await host.DisposeAsync();
            }
            else
            {
                _host.Dispose();
            }
        }
    }
}
