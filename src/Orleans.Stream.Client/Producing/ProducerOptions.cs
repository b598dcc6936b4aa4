namespace Orleans.Stream.Client;

/// <summary>Producer settings, named after their Kafka counterparts.</summary>
public sealed record ProducerOptions
{
    /// <summary><c>acks</c>: how much of the cluster must have a batch before it counts as sent.</summary>
    public Acks Acks { get; init; } = Acks.All;

    /// <summary><c>linger.ms</c>: how long a partition's batch may wait for more records before it is sent.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// <c>batch.size</c>: a batch is sent once it holds this many bytes. A record larger than this travels in a batch
    /// of its own (and is refused by the broker if it exceeds the topic's <c>max.message.bytes</c>).
    /// </summary>
    public int BatchSize { get; init; } = 256 * 1024;

    /// <summary>
    /// <c>max.in.flight.requests</c> over all partitions. Each partition has at most one request in flight, so
    /// per-partition (and per-key) order holds even across retries.
    /// </summary>
    public int MaxInFlightRequests { get; init; } = 64;

    /// <summary><c>buffer.memory</c>: record bytes waiting to be acknowledged; beyond it <c>ProduceAsync</c> waits.</summary>
    public long BufferMemory { get; init; } = 64L * 1024 * 1024;

    /// <summary><c>max.block.ms</c>: the longest <c>ProduceAsync</c> waits for buffer space or metadata.</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>delivery.timeout.ms</c>: after this long a batch that keeps failing transiently fails for good.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>retry.backoff.ms</c> and <c>retry.backoff.max.ms</c>: the wait before a retry, doubling up to the max.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>metadata.max.age.ms</c>: how long topic metadata (the partition count) is trusted without asking again.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    internal void Validate()
    {
        if (BatchSize < 1024 || MaxInFlightRequests < 1 || BufferMemory < BatchSize || Linger < TimeSpan.Zero || !Enum.IsDefined(Acks))
        {
            throw new ArgumentException($"Invalid producer options: {this}.");
        }
    }
}
