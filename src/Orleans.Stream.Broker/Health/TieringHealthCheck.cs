using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.Stream.Broker.Tiering;

namespace Orleans.Stream.Broker.Health;

/// <summary>
/// Degraded while some partition's last tiering pass failed (each partition retries with a back-off): its local
/// segments then pile up (they are deleted only once remote), and the operator should look at the blob store. The
/// backlog and the failing partitions, with their errors, are in the result's data.
/// </summary>
internal sealed class TieringHealthCheck(TieringLoop tiering, RemoteTier tier, IOptions<BrokerOptions> options) : IHealthCheck
{
    public const string Name = "ostream-tiering";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!tier.IsEnabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No remote tier is configured."));
        }

        TieringStatus status = tiering.Status;
        var data = new Dictionary<string, object> { ["backlogBytes"] = status.BacklogBytes };
        string? failing = null;
        foreach (TieringFailure failure in status.Failing)
        {
            data[failure.Partition.ToString()] = $"{failure.Failures} failed passes: {failure.Error}";
            failing = failing is null ? failure.Partition.ToString() : $"{failing}, {failure.Partition}";
        }

        return Task.FromResult(failing is null
            ? HealthCheckResult.Healthy($"Tiering every {options.Value.TieringInterval.TotalSeconds:0.#} s; {status.BacklogBytes} bytes not yet remote.", data)
            : HealthCheckResult.Degraded($"Tiering is failing for {failing}; their local segments stay until it succeeds.", data: data));
    }
}
