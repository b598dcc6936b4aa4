namespace Orleans.Stream.Client;

/// <summary>Where a consumer starts when it has no valid offset (Kafka's <c>auto.offset.reset</c>).</summary>
public enum AutoOffsetReset
{
    /// <summary>The log start offset.</summary>
    Earliest,

    /// <summary>The end of the log: only records produced from now on.</summary>
    Latest,

    /// <summary>Fail with OffsetOutOfRange instead.</summary>
    None,
}

/// <summary>Consumer settings, named after their Kafka counterparts.</summary>
public sealed record ConsumerOptions
{
    /// <summary><c>auto.offset.reset</c>.</summary>
    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary><c>max.partition.fetch.bytes</c>: bytes asked of one partition per fetch (at least one batch comes back regardless).</summary>
    public int MaxPartitionFetchBytes { get; init; } = 1024 * 1024;

    /// <summary><c>fetch.max.wait.ms</c>: how long a fetch at the end of the log waits on the broker for new records.</summary>
    public TimeSpan FetchMaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Fetched chunks buffered per consumer ahead of the application, over all partitions.</summary>
    public int PrefetchChunks { get; init; } = 16;

    /// <summary>
    /// Kafka's <c>check.crcs</c>: verify every fetched batch's CRC before any of its records reach the application
    /// (a mismatch fails the consumer with CorruptMessage). The broker checks on read too; this covers the way here.
    /// </summary>
    public bool CheckCrcs { get; init; } = true;

    /// <summary><c>retry.backoff.ms</c> / <c>retry.backoff.max.ms</c> for failed fetches.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);
}
