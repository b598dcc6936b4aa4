using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Stream.Broker.Hosting;
using Orleans.Stream.Broker.Logs;

namespace Orleans.Stream.Broker.Health;

/// <summary>
/// Readiness (tag <c>ready</c>, Kubernetes' readiness probe): Unhealthy while the broker recovers its logs, before
/// it has joined the cluster, and while a replica it holds is out of its partition's ISR although that partition's
/// leader is up (it is catching up). The last part is what makes a rolling restart safe: the next broker goes down
/// only once this one holds every acknowledged record again, so no partition is left with a single copy.
/// </summary>
internal sealed class BrokerReadinessHealthCheck(BrokerLifecycle lifecycle, LogManager logs, IGrainFactory grains) : IHealthCheck
{
    public const string Name = "ostream-broker";

    private static readonly TimeSpan ControllerTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        int me = logs.BrokerId;
        if (!lifecycle.LogsRecovered)
        {
            return HealthCheckResult.Unhealthy($"Broker {me} is recovering its logs.");
        }

        if (!lifecycle.IsActive)
        {
            return HealthCheckResult.Unhealthy($"Broker {me} is not an active member of the cluster.");
        }

        ClusterDescription cluster;
        try
        {
            cluster = await grains.GetGrain<IControllerGrain>(0).DescribeCluster().WaitAsync(ControllerTimeout, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Broker {me} cannot reach the controller: {error.Message}", error);
        }

        var alive = new HashSet<int>();
        foreach (BrokerDescription broker in cluster.Brokers)
        {
            if (broker.IsAlive)
            {
                alive.Add(broker.Id);
            }
        }

        int replicas = 0;
        List<string>? catchingUp = null;
        foreach (TopicDescription topic in cluster.Topics)
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                if (Array.IndexOf(partition.Replicas, me) < 0)
                {
                    continue;
                }

                replicas++;
                if (Array.IndexOf(partition.Isr, me) < 0 && partition.Leader != PartitionDescription.NoLeader && alive.Contains(partition.Leader))
                {
                    (catchingUp ??= []).Add(new TopicPartition(topic.Name, partition.Partition).ToString());
                }
            }
        }

        var data = new Dictionary<string, object> { ["replicas"] = replicas };
        if (catchingUp is not null)
        {
            data["catchingUp"] = string.Join(", ", catchingUp);
            return HealthCheckResult.Unhealthy(
                $"Broker {me} is catching up: {catchingUp.Count} of its {replicas} replicas are not in their ISR yet.", data: data);
        }

        return HealthCheckResult.Healthy($"Broker {me} has joined the cluster; its {replicas} replicas are in sync.", data);
    }
}
