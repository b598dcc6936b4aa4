using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.Stream.Broker.Hosting;

/// <summary>
/// Pokes the controller whenever cluster membership changes, from every broker. The controller checks live brokers
/// by itself while it is active; the poke is what brings it back when the silo it lived on is the one that died.
/// </summary>
internal sealed partial class MembershipWatcher(IClusterMembershipService membership, IGrainFactory grains, ILogger<MembershipWatcher> logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (ClusterMembershipSnapshot _ in membership.MembershipUpdates.WithCancellation(stopping))
            {
                await PokeControllerAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task PokeControllerAsync(CancellationToken stopping)
    {
        for (int attempt = 1; attempt <= 5 && !stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await grains.GetGrain<IControllerGrain>(0).ReconcileBrokers();
                return;
            }
            catch (Exception error) when (!stopping.IsCancellationRequested)
            {
                LogPokeFailed(logger, attempt, error.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telling the controller about a membership change failed (attempt {Attempt}): {Reason}")]
    private static partial void LogPokeFailed(ILogger logger, int attempt, string reason);
}
