using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Orleans.Stream.Client.Routing;

/// <summary>
/// Sends each partition's requests straight to the broker that leads it, as a Kafka client does. An Orleans client
/// sends a call to whichever gateway a hash of the grain id picks, and that silo forwards it, deserializing and
/// re-serializing the whole request on the way: with 1 MB batches the forwarding hop costs a broker more CPU than
/// appending does. So, outside a silo, this keeps one extra Orleans client per broker with that broker's gateway as
/// its only gateway; a call through it arrives on the silo that hosts the partition grain.
/// <para>
/// Until a broker's connection is up (it is opened in the background on first use), or after it was lost, calls go
/// through the application's own client: slower, never wrong, since Orleans routes any call to the grain's silo.
/// </para>
/// </summary>
internal sealed class BrokerConnections : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EndpointRefreshInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryBackoffMax = TimeSpan.FromSeconds(60);

    private readonly IGrainFactory _shared;
    private readonly ClusterOptions? _cluster;
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly ConcurrentDictionary<TopicPartition, IPartitionGrain> _sharedGrains = new();
    private readonly Lock _lock = new();
    private Dictionary<int, string> _gateways = [];
    private readonly HashSet<int> _awaitingGateway = [];
    private long _gatewaysFetchedAt = -1; // Environment.TickCount64 of the last refresh; -1: never
    private Task? _refresh;
    private bool _disposed;

    /// <param name="shared">The application's client, used for everything else and as the fallback.</param>
    /// <param name="cluster">The cluster to open per-broker clients to; null turns direct connections off (inside a silo, where calls are routed directly already).</param>
    public BrokerConnections(IGrainFactory shared, ClusterOptions? cluster)
    {
        _shared = shared;
        _cluster = cluster;
    }

    /// <summary>Why the last attempt to connect to a broker failed (for diagnostics), or null.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>How many brokers have a connected client of their own now.</summary>
    public int ConnectedCount
    {
        get
        {
            int count = 0;
            foreach (Connection connection in _connections.Values)
            {
                if (connection.Grains is not null)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>The partition grain reached through its leader's own connection when there is one, else through the shared client.</summary>
    public IPartitionGrain PartitionGrain(TopicPartition topicPartition, int leader)
    {
        if (_cluster is not null && leader >= 0)
        {
            if (_connections.TryGetValue(leader, out Connection? connection) && connection.Grains is { } direct)
            {
                return connection.PartitionGrain(topicPartition, direct);
            }

            EnsureConnecting(leader);
        }

        return _sharedGrains.GetOrAdd(topicPartition, static (tp, grains) => grains.GetGrain<IPartitionGrain>(tp.ToString()), _shared);
    }

    private void EnsureConnecting(int broker)
    {
        lock (_lock)
        {
            if (_disposed || (_connections.TryGetValue(broker, out Connection? existing) && !existing.CanRetry))
            {
                return; // connecting, connected, or waiting before another attempt
            }

            if (_gateways.TryGetValue(broker, out string? gateway))
            {
                var connection = new Connection(broker, gateway, existing?.Failures ?? 0);
                _connections[broker] = connection;
                connection.Start(_cluster!, this);
                if (existing is not null)
                {
                    _ = existing.DisposeAsync().AsTask();
                }

                return;
            }

            // The broker's gateway is not known (yet, or any more): ask the controller, at most once a second, and
            // connect when the answer comes.
            _awaitingGateway.Add(broker);
            if (_refresh is null or { IsCompleted: true } &&
                (_gatewaysFetchedAt < 0 || Environment.TickCount64 - _gatewaysFetchedAt > EndpointRefreshInterval.TotalMilliseconds))
            {
                _gatewaysFetchedAt = Environment.TickCount64;
                _refresh = RefreshGatewaysAsync();
            }
        }
    }

    private async Task RefreshGatewaysAsync()
    {
        try
        {
            ClusterDescription cluster = await _shared.GetGrain<IControllerGrain>(0).DescribeCluster().ConfigureAwait(false);
            var gateways = new Dictionary<int, string>();
            foreach (BrokerDescription broker in cluster.Brokers)
            {
                if (broker.IsAlive && !string.IsNullOrEmpty(broker.Gateway))
                {
                    gateways[broker.Id] = broker.Gateway;
                }
            }

            int[] awaiting;
            lock (_lock)
            {
                _gateways = gateways;
                awaiting = [.. _awaitingGateway];
                _awaitingGateway.Clear();
            }

            foreach (int broker in awaiting)
            {
                EnsureConnecting(broker);
            }
        }
        catch (Exception)
        {
            // Best effort: the shared client keeps serving, and the next use asks again.
        }
    }

    /// <summary>Called by a connection that failed to open or lost its gateway: its calls go through the shared client again.</summary>
    private void OnLost(Connection connection)
    {
        lock (_lock)
        {
            // The broker may come back on another endpoint: forget this one, so the next attempt asks the controller.
            if (_gateways.TryGetValue(connection.Broker, out string? gateway) && gateway == connection.Gateway)
            {
                _gateways.Remove(connection.Broker);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connection[] connections;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connections = [.. _connections.Values];
            _connections.Clear();
        }

        var closing = new Task[connections.Length];
        for (int i = 0; i < connections.Length; i++)
        {
            closing[i] = connections[i].DisposeAsync().AsTask();
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    /// <summary>An Orleans client whose only gateway is one broker's silo.</summary>
    private sealed class Connection(int broker, string gateway, int failuresBefore) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<TopicPartition, IPartitionGrain> _grains = new();
        private readonly Lock _lock = new();
        private IHost? _host;
        private bool _disposed;
        private long _failedAt = -1;
        private volatile IGrainFactory? _ready;

        public int Broker { get; } = broker;

        public string Gateway { get; } = gateway;

        /// <summary>Set once the client is connected; null again once its gateway is lost.</summary>
        public IGrainFactory? Grains => _ready;

        /// <summary>Failed attempts in a row to reach this broker, this one included once it failed.</summary>
        public int Failures { get; private set; } = failuresBefore;

        /// <summary>Failed or lost, and backed off long enough (doubling per failure in a row) to try again.</summary>
        public bool CanRetry
        {
            get
            {
                long failedAt = Volatile.Read(ref _failedAt);
                double backoff = Math.Min(RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(Failures, 16) - 1), RetryBackoffMax.TotalMilliseconds);
                return failedAt >= 0 && Environment.TickCount64 - failedAt > backoff;
            }
        }

        public IPartitionGrain PartitionGrain(TopicPartition topicPartition, IGrainFactory grains) =>
            _grains.GetOrAdd(topicPartition, static (tp, factory) => factory.GetGrain<IPartitionGrain>(tp.ToString()), grains);

        public void Start(ClusterOptions cluster, BrokerConnections owner) => _ = Task.Run(() => StartAsync(cluster, owner));

        private async Task StartAsync(ClusterOptions cluster, BrokerConnections owner)
        {
            try
            {
                IPEndPoint endpoint = IPEndPoint.Parse(Gateway);
                HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
                builder.Logging.ClearProviders();
                builder.UseOrleansClient(client =>
                {
                    client.UseStaticClustering(endpoint);
                    client.Configure<ClusterOptions>(options =>
                    {
                        options.ClusterId = cluster.ClusterId;
                        options.ServiceId = cluster.ServiceId;
                    });
                    client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
                    client.AddActivityPropagation();
                    client.AddClusterConnectionLostHandler((_, _) => Lost(owner));
                });

                IHost host = builder.Build();
                lock (_lock)
                {
                    if (_disposed)
                    {
                        host.Dispose();
                        return;
                    }

                    _host = host;
                }

                using var timeout = new CancellationTokenSource(ConnectTimeout);
                await host.StartAsync(timeout.Token).ConfigureAwait(false);
                lock (_lock)
                {
                    if (!_disposed)
                    {
                        Failures = 0;
                        _ready = host.Services.GetRequiredService<IGrainFactory>();
                    }
                }
            }
            catch (Exception error)
            {
                owner.LastFailure = error;
                Lost(owner);
            }
        }

        private void Lost(BrokerConnections owner)
        {
            lock (_lock)
            {
                Failures++;
            }

            _ready = null;
            Volatile.Write(ref _failedAt, Environment.TickCount64);
            owner.OnLost(this);
        }

        public async ValueTask DisposeAsync()
        {
            IHost? host;
            lock (_lock)
            {
                _disposed = true;
                _ready = null;
                host = _host;
            }

            if (host is not null)
            {
                try
                {
                    await host.StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Stopping a client whose gateway is gone may fail; it is being discarded either way.
                }

                host.Dispose();
            }
        }
    }
}
