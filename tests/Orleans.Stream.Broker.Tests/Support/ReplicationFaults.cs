using Orleans.Stream.Broker.Replication;

namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>
/// A broker-side grain call filter that cuts replication off while <see cref="Blocked"/>: followers stay alive but
/// get nothing from the leader, as behind a network partition. Shared by every silo of an in-process cluster.
/// </summary>
internal sealed class ReplicationFaults
{
    public volatile bool Blocked;

    public async Task InvokeAsync(IIncomingGrainCallContext context)
    {
        if (Blocked && context.InterfaceMethod?.DeclaringType == typeof(IReplicaGrain))
        {
            throw new TimeoutException("Injected fault: replication is cut off.");
        }

        await context.Invoke();
    }
}
