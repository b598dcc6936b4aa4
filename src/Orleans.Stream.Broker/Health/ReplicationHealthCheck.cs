using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Stream.Broker.Diagnostics;

namespace Orleans.Stream.Broker.Health;

/// <summary>
/// Degraded while a partition this broker leads is under-replicated (fewer in-sync replicas than replicas: one more
/// loss and acknowledged records may have a single copy) or, worse, under <c>min.insync.replicas</c> (acks=all
/// produce is refused). The broker still serves: this is for the operator, not for the load balancer.
/// </summary>
internal sealed class ReplicationHealthCheck(LeaderRegistry leaders) : IHealthCheck
{
    public const string Name = "ostream-replication";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int led = 0;
        List<string>? underReplicated = null;
        List<string>? underMinIsr = null;
        foreach (LeaderStatus leader in leaders.Leaders)
        {
            led++;
            if (leader.IsUnderMinIsr)
            {
                (underMinIsr ??= []).Add(leader.Partition.ToString());
            }
            else if (leader.IsUnderReplicated)
            {
                (underReplicated ??= []).Add(leader.Partition.ToString());
            }
        }

        var data = new Dictionary<string, object> { ["leaders"] = led };
        if (underMinIsr is null && underReplicated is null)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Broker {leaders.BrokerId} leads {led} partitions, all fully replicated.", data));
        }

        if (underMinIsr is not null)
        {
            underMinIsr.Sort(StringComparer.Ordinal);
            data["underMinIsr"] = string.Join(", ", underMinIsr);
        }

        if (underReplicated is not null)
        {
            underReplicated.Sort(StringComparer.Ordinal);
            data["underReplicated"] = string.Join(", ", underReplicated);
        }

        string description = underMinIsr is not null
            ? $"{underMinIsr.Count} partitions led by broker {leaders.BrokerId} have fewer in-sync replicas than min.insync.replicas (acks=all is refused there)" +
              (underReplicated is null ? "." : $"; {underReplicated.Count} more are under-replicated.")
            : $"{underReplicated!.Count} partitions led by broker {leaders.BrokerId} are under-replicated.";
        return Task.FromResult(HealthCheckResult.Degraded(description, data: data));
    }
}
