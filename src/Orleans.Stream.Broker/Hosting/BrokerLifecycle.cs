using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Stream.Broker.Diagnostics;
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
    LogManager logs, IGrainFactory grains, MembershipWatcher membership, RemoteTier tier, TieringLoop tiering, LeaderRegistry leaders, ILogger<BrokerLifecycle> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _cleanup;
    private Task? _watch;
    private Task? _tiering;
    private volatile bool _recovered;
    private volatile bool _active;

    /// <summary>Every local log is open and recovered.</summary>
    public bool LogsRecovered => _recovered;

    /// <summary>The silo is an active member of the cluster (between its Active stage and its stop).</summary>
    public bool IsActive => _active;

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe<BrokerLifecycle>(ServiceLifecycleStage.ApplicationServices, OnStartAsync, OnStopAsync);
        lifecycle.Subscribe<BrokerLifecycle>(ServiceLifecycleStage.Active, OnActiveAsync, OnInactiveAsync);
    }

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        logs.Start();
        _recovered = true;
        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        leaders.Close();
        await logs.DisposeAsync();
    }

    private Task OnActiveAsync(CancellationToken cancellationToken)
    {
        _active = true;
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
        _active = false;
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
