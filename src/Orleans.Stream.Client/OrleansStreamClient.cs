using Orleans.Configuration;
using Orleans.Stream.Client.Routing;

namespace Orleans.Stream.Client;

/// <summary>
/// The entry point of the grain client: producers, consumers and the admin API over an Orleans cluster client.
/// Register it with <c>AddOrleansStreamClient</c>; it is a singleton and thread-safe.
/// </summary>
public sealed class OrleansStreamClient : IAsyncDisposable, IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly BrokerConnections _brokers;

    /// <summary>A client over <paramref name="grains"/> alone: every call goes through it.</summary>
    public OrleansStreamClient(IGrainFactory grains)
        : this(grains, directCluster: null)
    {
    }

    /// <param name="grains">The Orleans client (or silo) for everything that is not a partition's hot path.</param>
    /// <param name="directCluster">When set, partition requests go straight to their leader broker's gateway (see <see cref="BrokerConnections"/>).</param>
    internal OrleansStreamClient(IGrainFactory grains, ClusterOptions? directCluster)
    {
        _grains = grains;
        _brokers = new BrokerConnections(grains, directCluster);
        Admin = new StreamAdmin(grains);
    }

    public StreamAdmin Admin { get; }

    /// <summary>A new producer; dispose it to flush and stop.</summary>
    public Producer CreateProducer(ProducerOptions? options = null) => new(_grains, _brokers, options ?? new ProducerOptions());

    /// <summary>A new consumer with no assignment yet; dispose it to stop fetching.</summary>
    public Consumer CreateConsumer(ConsumerOptions? options = null) => new(_grains, _brokers, options ?? new ConsumerOptions());

    /// <summary>Closes the per-broker connections (the Orleans client itself belongs to its host).</summary>
    public ValueTask DisposeAsync() => _brokers.DisposeAsync();

    /// <inheritdoc cref="DisposeAsync"/>
    /// <remarks>For hosts disposed synchronously: waits for the connections to close.</remarks>
    public void Dispose() => _brokers.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>How many brokers this client has its own connection to now (see <see cref="BrokerConnections"/>).</summary>
    internal int DirectConnections => _brokers.ConnectedCount;

    internal Exception? LastDirectConnectionFailure => _brokers.LastFailure;
}
