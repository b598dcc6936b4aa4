namespace Orleans.Stream.Client;

/// <summary>
/// The entry point of the grain client: producers, consumers and the admin API over an Orleans cluster client.
/// Register it with <c>AddOrleansStreamClient</c>; it is a singleton and thread-safe.
/// </summary>
public sealed class OrleansStreamClient
{
    private readonly IGrainFactory _grains;

    public OrleansStreamClient(IGrainFactory grains)
    {
        _grains = grains;
        Admin = new StreamAdmin(grains);
    }

    public StreamAdmin Admin { get; }

    /// <summary>A new producer; dispose it to flush and stop.</summary>
    public Producer CreateProducer(ProducerOptions? options = null) => new(_grains, options ?? new ProducerOptions());

    /// <summary>A new consumer with no assignment yet; dispose it to stop fetching.</summary>
    public Consumer CreateConsumer(ConsumerOptions? options = null) => new(_grains, options ?? new ConsumerOptions());
}
