using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Tiering;

namespace Orleans.Stream.Broker.Hosting;

/// <summary>
/// Ties the log manager to the silo's lifecycle: every log is open and recovered before the silo joins the
/// cluster (so no grain ever sees a half-recovered broker), logs of topics deleted while the broker was down are
/// removed once it has joined, membership changes are passed on to the controller (<see cref="MembershipWatcher"/>),
/// and all logs are closed cleanly after the grains have stopped.
/// </summary>
internal sealed partial class BrokerLifecycle(
    LogManager logs, IGrainFactory grains, MembershipWatcher membership, RemoteTier tier, TieringLoop tiering, ILogger<BrokerLifecycle> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _cleanup;
    private Task? _watch;
    private Task? _tiering;

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe<BrokerLifecycle>(ServiceLifecycleStage.ApplicationServices, OnStartAsync, OnStopAsync);
        lifecycle.Subscribe<BrokerLifecycle>(ServiceLifecycleStage.Active, OnActiveAsync, OnInactiveAsync);
    }

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        logs.Start();
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken) => await logs.DisposeAsync();

    private Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _cleanup = Task.Run(() => DeleteOrphansAsync(_stopping.Token), CancellationToken.None);
        _watch = Task.Run(() => membership.RunAsync(_stopping.Token), CancellationToken.None);
        if (tier.IsEnabled)
        {
            _tiering = Task.Run(() => tiering.RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task OnInactiveAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_cleanup is { } cleanup)
        {
            await cleanup.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_watch is { } watch)
        {
            await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_tiering is { } tieringLoop)
        {
            await tieringLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task DeleteOrphansAsync(CancellationToken stopping)
    {
        for (int attempt = 1; !stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                IControllerGrain controller = grains.GetGrain<IControllerGrain>(0);
                TopicDescription[] topics = await controller.GetAllTopics();
                Guid[] deleted = await controller.GetDeletedTopicIds();
                int count = await logs.DeleteOrphansAsync(topics, deleted);
                LogOrphansDeleted(logger, logs.BrokerId, count);
                return;
            }
            catch (Exception error) when (!stopping.IsCancellationRequested)
            {
                LogOrphanCheckFailed(logger, logs.BrokerId, attempt, error);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} deleted {Count} logs of topics deleted while it was away")]
    private static partial void LogOrphansDeleted(ILogger logger, int brokerId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker {BrokerId} could not check its logs against the controller (attempt {Attempt}); retrying")]
    private static partial void LogOrphanCheckFailed(ILogger logger, int brokerId, int attempt, Exception error);
}
