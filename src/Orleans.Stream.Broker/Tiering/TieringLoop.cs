using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Broker.Tiering;

/// <summary>
/// The broker's tiering: every <see cref="BrokerOptions.TieringInterval"/>, a <see cref="PartitionTierer"/> pass
/// over each partition this broker leads whose topic has <c>remote.storage.enable</c>, and now and then a sweep for
/// orphan blobs. A partition whose pass fails (the blob store is down or slow) backs off, 1 s doubling to 1 min,
/// while the others go on; its local segments stay until they are remote, and produce and local reads never wait for it.
/// </summary>
internal sealed partial class TieringLoop(LogManager logs, RemoteTier tier, IOptions<BrokerOptions> options, ILogger<TieringLoop> logger, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<LocalPartition, PartitionProgress> _progress = [];
    private volatile TieringStatus _status = TieringStatus.Idle;

    /// <summary>As of the last pass: the backlog, and the partitions whose tiering keeps failing.</summary>
    public TieringStatus Status => _status;

    public async Task RunAsync(CancellationToken stopping)
    {
        var tierer = new PartitionTierer(tier, _time, logger);
        using var timer = new PeriodicTimer(options.Value.TieringInterval, _time);
        bool containerReady = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                if (!containerReady)
                {
                    containerReady = await TryCreateContainerAsync(stopping).ConfigureAwait(false);
                    if (!containerReady)
                    {
                        continue;
                    }
                }

                await PassAsync(tierer, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One pass over every led, tiered partition, <see cref="BrokerOptions.TieringConcurrency"/> at a time (also what
    /// tests call to tier at once).
    /// </summary>
    public async Task PassAsync(PartitionTierer tierer, CancellationToken cancellationToken)
    {
        long now = _time.GetTimestamp();
        long backlog = 0;
        var due = new List<(LocalPartition Partition, int Epoch, PartitionProgress Progress)>();
        foreach (LocalPartition partition in logs.Partitions)
        {
            int epoch = partition.LeaderEpoch;
            if (partition.IsDeleted || epoch < 0 || !partition.Log.Config.RemoteStorageEnable)
            {
                continue;
            }

            if (!_progress.TryGetValue(partition, out PartitionProgress? progress))
            {
                _progress[partition] = progress = new PartitionProgress(now);
            }

            if (now >= progress.RetryAt)
            {
                due.Add((partition, epoch, progress));
            }
        }

        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.TieringConcurrency, CancellationToken = cancellationToken },
            async (work, cancellation) => await TierAsync(tierer, work.Partition, work.Epoch, work.Progress, cancellation).ConfigureAwait(false)).ConfigureAwait(false);

        foreach (LocalPartition partition in _progress.Keys)
        {
            if (partition.IsDeleted || partition.LeaderEpoch < 0)
            {
                continue;
            }

            backlog += PartitionTierer.LocalBytesFrom(partition.Log, partition.Log.TieredOffset, sealedOnly: true);
        }

        BrokerMetrics.TieringBacklogBytes = backlog;
        List<TieringFailure>? failing = null;
        foreach ((LocalPartition partition, PartitionProgress progress) in _progress)
        {
            if (progress.Failures > 0)
            {
                (failing ??= []).Add(new TieringFailure(partition.TopicPartition, progress.Failures, progress.LastError ?? ""));
            }
        }

        _status = new TieringStatus(backlog, failing ?? []);
        foreach (LocalPartition gone in ForgottenPartitions())
        {
            _progress.Remove(gone);
        }
    }

    private async Task TierAsync(PartitionTierer tierer, LocalPartition partition, int epoch, PartitionProgress progress, CancellationToken cancellationToken)
    {
        try
        {
            await tierer.RunAsync(partition, epoch, cancellationToken).ConfigureAwait(false);
            progress.Failures = 0;
            progress.LastError = null;
            await SweepOrphansIfDueAsync(partition, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteTierFencedException fenced)
        {
            // A newer leader tiers this partition now; this broker learns it has been replaced a moment later. Not a failure.
            partition.Remote = null;
            progress.RetryAt = _time.GetTimestamp() + (long)(_time.TimestampFrequency * 10);
            LogFenced(logger, partition.TopicPartition, fenced.Message);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            // Read the manifest afresh next time: it may have moved on (another writer, a newer leader).
            partition.Remote = null;
            progress.Failures++;
            progress.LastError = error.Message;
            progress.RetryAt = _time.GetTimestamp() + (long)(_time.TimestampFrequency * Math.Min(60, Math.Pow(2, progress.Failures - 1)));
            if (progress.Failures == 1 || progress.Failures % 10 == 0)
            {
                LogPassFailed(logger, partition.TopicPartition, progress.Failures, error.ToString());
            }
        }
    }

    private List<LocalPartition> ForgottenPartitions()
    {
        var gone = new List<LocalPartition>();
        foreach (LocalPartition partition in _progress.Keys)
        {
            if (partition.IsDeleted || partition.LeaderEpoch < 0)
            {
                gone.Add(partition);
            }
        }

        return gone;
    }

    private async Task SweepOrphansIfDueAsync(LocalPartition partition, PartitionProgress progress, CancellationToken cancellationToken)
    {
        BrokerOptions settings = options.Value;
        if (_time.GetElapsedTime(progress.LastSweep) < settings.RemoteOrphanCheckInterval)
        {
            return;
        }

        progress.LastSweep = _time.GetTimestamp();
        int deleted = await tier.Store.DeleteOrphansAsync(partition.TopicPartition, partition.TopicId, settings.RemoteOrphanMinAge, cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            LogOrphansDeleted(logger, partition.TopicPartition, deleted);
        }
    }

    private async Task<bool> TryCreateContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await tier.Store.CreateIfMissingAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            LogContainerFailed(logger, tier.Store.Container.Name, error.Message);
            return false;
        }
    }

    /// <summary>Per led partition: when to try again after failures, and when orphans were last swept.</summary>
    private sealed class PartitionProgress(long lastSweep)
    {
        public int Failures { get; set; }

        public long RetryAt { get; set; }

        public long LastSweep { get; set; } = lastSweep;

        public string? LastError { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tiering {Partition} failed ({Failures} in a row); local segments stay until it succeeds: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, TopicPartition partition, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition}: a newer leader tiers it now; this broker stops ({Reason})")]
    private static partial void LogFenced(ILogger logger, TopicPartition partition, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition}: deleted {Count} orphan blob(s) of interrupted uploads")]
    private static partial void LogOrphansDeleted(ILogger logger, TopicPartition partition, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The remote tier's container {Container} could not be created; tiering waits: {Reason}")]
    private static partial void LogContainerFailed(ILogger logger, string container, string reason);
}
