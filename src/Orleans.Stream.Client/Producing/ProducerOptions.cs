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
    /// <c>enable.idempotence</c>: the producer gets a producer id and numbers its records per partition, so the leader
    /// appends a retried batch only once and several requests per partition can be in flight without losing order.
    /// As in Kafka it applies with <c>acks=all</c> only; with <c>acks=0</c> or <c>1</c> the producer is not idempotent.
    /// </summary>
    public bool EnableIdempotence { get; init; } = true;

    /// <summary>
    /// <c>max.in.flight.requests.per.connection</c>, per partition: batches sent to a partition and not yet
    /// acknowledged, counted from the oldest (at most 5, Kafka's limit with idempotence: the leader remembers a
    /// producer's last 5 batches). Only full batches pipeline; one that is not full waits until nothing is in flight,
    /// so it fills meanwhile. Without idempotence it is 1, so a retry cannot reorder records.
    /// </summary>
    public int MaxInFlightRequestsPerPartition { get; init; } = 5;

    /// <summary>Requests in flight over all partitions together.</summary>
    public int MaxInFlightRequests { get; init; } = 64;

    /// <summary><c>buffer.memory</c>: record bytes waiting to be acknowledged; beyond it <c>ProduceAsync</c> waits.</summary>
    public long BufferMemory { get; init; } = 64L * 1024 * 1024;

    /// <summary><c>max.block.ms</c>: the longest <c>ProduceAsync</c> waits for buffer space or metadata.</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>delivery.timeout.ms</c>: counted from a batch's first record (as in Kafka, so it covers linger, queueing and
    /// retries), after this long a batch that keeps failing transiently fails for good.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>retry.backoff.ms</c> and <c>retry.backoff.max.ms</c>: the wait before a retry, doubling up to the max.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>metadata.max.age.ms</c>: how long topic metadata (the partition count) is trusted without asking again.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    internal void Validate()
    {
        if (BatchSize < 1024 || MaxInFlightRequests < 1 || MaxInFlightRequestsPerPartition is < 1 or > 5 || BufferMemory < BatchSize || Linger < TimeSpan.Zero || !Enum.IsDefined(Acks))
        {
            throw new ArgumentException($"Invalid producer options: {this}.");
        }
    }
}
