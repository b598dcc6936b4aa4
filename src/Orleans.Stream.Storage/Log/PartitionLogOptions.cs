using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orleans.Stream.Storage;

/// <summary>How a <see cref="PartitionLog"/> is hosted (as opposed to <see cref="LogConfig"/>, which is per topic).</summary>
public sealed record PartitionLogOptions
{
    public static PartitionLogOptions Default { get; } = new();

    /// <summary>The clock for <c>segment.ms</c>, <c>retention.ms</c> and background flushes; tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// True (single replica): the high watermark follows acknowledged appends. False (replication): the owner moves it
    /// with <see cref="PartitionLog.AdvanceHighWatermark"/>.
    /// </summary>
    public bool AutoAdvanceHighWatermark { get; init; } = true;

    /// <summary>How often the recovery checkpoint is rewritten (it is also written on roll and close).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Kafka's <c>producer.id.expiration.ms</c>: an idempotent producer that wrote nothing for this long is forgotten
    /// at the next retention pass; if it comes back mid-sequence it is told to start a new one (UnknownProducerId).
    /// </summary>
    public TimeSpan ProducerIdExpiration { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// After each fsync, the log's flushed bytes more than this far behind a segment's end leave the kernel's page
    /// cache (readers of older data then read them from disk); the pages freed are the next writes' pages. -1 (the
    /// default, as Kafka): leave caching to the kernel. See <c>PageCache</c> for why a broker may want it.
    /// </summary>
    public long PageCacheTailBytes { get; init; } = -1;

    public ILogger Logger { get; init; } = NullLogger.Instance;
}
