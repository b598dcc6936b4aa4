using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.Stream.Kafka.Server;

/// <summary>
/// The broker's Kafka port, on Kestrel's socket transport (connections as pipes, without a web host). It opens when
/// the silo becomes active (its grains can be called) and closes, with every connection, before the silo stops.
/// </summary>
internal sealed partial class KafkaListener(BrokerContext broker, ILoggerFactory loggers) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<KafkaListener>();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private IConnectionListener? _listener;
    private Task? _accepting;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe<KafkaListener>(ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        KafkaOptions options = broker.Options;
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggers);
        var endpoint = new IPEndPoint(options.LoopbackOnly ? IPAddress.Loopback : IPAddress.Any, options.Port);
        _listener = await transport.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        _accepting = Task.Run(() => AcceptAsync(_listener), CancellationToken.None);
        LogListening(_logger, broker.BrokerId, endpoint, options.Port, options.AdvertisedHost);
    }

    private async Task AcceptAsync(IConnectionListener listener)
    {
        while (await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false) is { } connection)
        {
            var client = new KafkaConnection(connection, broker, _logger);
            Task run = Task.Run(() => client.RunAsync(_stopping.Token), CancellationToken.None);
            _connections.TryAdd(run, 0);
            _ = run.ContinueWith(done => _connections.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not { } listener)
        {
            return;
        }

        await listener.UnbindAsync(cancellationToken).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_accepting is { } accepting)
        {
            await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.WhenAll(_connections.Keys).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await listener.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} serves Kafka clients on {Endpoint}, advertised as {AdvertisedHost}:{Port}")]
    private static partial void LogListening(ILogger logger, int brokerId, IPEndPoint endpoint, int port, string advertisedHost);
}
