using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Logs;

/// <summary>
/// Every partition log on this broker. Opens (and so recovers) all of them when the silo starts, before any grain
/// can ask for one; creates logs for partitions assigned here; runs retention; closes them all cleanly at stop.
/// Grains reach logs only through it, so a topic deletion closes the log under every user at once.
/// </summary>
internal sealed partial class LogManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<TopicPartition, LocalPartition> _partitions = new();
    private readonly Lock _createLock = new();
    private readonly BrokerOptions _options;
    private readonly ILogger<LogManager> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private CancellationTokenSource? _stopping;
    private Task? _retentionLoop;

    public LogManager(IOptions<BrokerOptions> options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _options = options.Value;
        _options.Validate();
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LogManager>();
        _time = time ?? TimeProvider.System;
    }

    public int BrokerId => _options.Id;

    public string DataDir => _options.DataDir;

    /// <summary>Opens every partition directory under <see cref="DataDir"/>, then starts the retention loop.</summary>
    public void Start()
    {
        DurableFile.CreateDirectory(DataDir);
        int opened = 0;
        foreach (string directory in Directory.EnumerateDirectories(DataDir))
        {
            PartitionMetadataFile? metadata = PartitionMetadataFile.TryRead(directory);
            if (metadata is null)
            {
                // A directory without metadata was never finished being created (or is not ours): leave it alone.
                LogSkippedDirectory(_logger, directory);
                continue;
            }

            var topicPartition = new TopicPartition(metadata.Topic, metadata.Partition);
            PartitionLog log = PartitionLog.Open(directory, ToLogConfig(metadata.Configs), LogOptions());
            _partitions[topicPartition] = new LocalPartition(topicPartition, metadata.TopicId, log);
            opened++;
        }

        LogStarted(_logger, BrokerId, opened, DataDir);
        _stopping = new CancellationTokenSource();
        _retentionLoop = RunRetentionAsync(_stopping.Token);
    }

    public LocalPartition? Find(TopicPartition topicPartition) => _partitions.GetValueOrDefault(topicPartition);

    /// <summary>Every open partition log on this broker, as of the call.</summary>
    public ICollection<LocalPartition> Partitions => _partitions.Values;

    /// <summary>
    /// The local log of <paramref name="topicPartition"/> for the topic incarnation <paramref name="topicId"/>,
    /// created if this broker has none. A log left by an older topic of the same name is deleted first.
    /// </summary>
    public async ValueTask<LocalPartition> GetOrCreateAsync(TopicPartition topicPartition, Guid topicId, Dictionary<string, string> configs)
    {
        if (_partitions.TryGetValue(topicPartition, out LocalPartition? existing) && !existing.IsDeleted)
        {
            if (existing.TopicId == topicId)
            {
                return existing;
            }

            await DeleteAsync(existing).ConfigureAwait(false);
        }

        lock (_createLock)
        {
            if (_partitions.TryGetValue(topicPartition, out existing) && !existing.IsDeleted && existing.TopicId == topicId)
            {
                return existing;
            }

            string directory = Path.Combine(DataDir, topicPartition.DirectoryName);
            DurableFile.CreateDirectory(directory);
            new PartitionMetadataFile(topicPartition.Topic, topicPartition.Partition, topicId, configs).Write(directory);
            PartitionLog log = PartitionLog.Open(directory, ToLogConfig(configs), LogOptions());
            var created = new LocalPartition(topicPartition, topicId, log);
            _partitions[topicPartition] = created;
            LogCreated(_logger, topicPartition, BrokerId);
            return created;
        }
    }

    /// <summary>Closes and deletes every local log of the topic <paramref name="topic"/> with id <paramref name="topicId"/>.</summary>
    public async Task<int> DeleteTopicAsync(string topic, Guid topicId)
    {
        int deleted = 0;
        foreach (LocalPartition partition in _partitions.Values)
        {
            if (partition.TopicPartition.Topic == topic && partition.TopicId == topicId)
            {
                await DeleteAsync(partition).ConfigureAwait(false);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Closes and deletes the local replica of <paramref name="topicPartition"/> if it belongs to topic <paramref name="topicId"/>.</summary>
    public async Task<bool> DeletePartitionAsync(TopicPartition topicPartition, Guid topicId)
    {
        if (_partitions.TryGetValue(topicPartition, out LocalPartition? partition) && partition.TopicId == topicId && !partition.IsDeleted)
        {
            await DeleteAsync(partition).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Deletes local logs of topics deleted while this broker was down: topics whose id the controller lists as
    /// deleted, or whose name now belongs to a newer topic; and replicas reassigned to other brokers meanwhile. A log of a topic the controller has never heard of is
    /// kept and reported, never deleted on a guess (the controller's storage might be the thing that is wrong).
    /// </summary>
    public async Task<int> DeleteOrphansAsync(IReadOnlyCollection<TopicDescription> topics, IReadOnlyCollection<Guid> deletedTopicIds)
    {
        var live = new Dictionary<string, TopicDescription>(topics.Count);
        foreach (TopicDescription topic in topics)
        {
            live[topic.Name] = topic;
        }

        var deletedIds = new HashSet<Guid>(deletedTopicIds);
        int deleted = 0;
        foreach (LocalPartition partition in _partitions.Values)
        {
            bool known = live.TryGetValue(partition.TopicPartition.Topic, out TopicDescription? topic);
            if (partition.IsDeleted || (known && topic!.TopicId == partition.TopicId && HoldsReplica(topic, partition.TopicPartition.Partition)))
            {
                continue;
            }

            // Another incarnation of the topic, a deleted one, or a replica reassigned away while this broker was down.
            if (known || deletedIds.Contains(partition.TopicId))
            {
                await DeleteAsync(partition).ConfigureAwait(false);
                deleted++;
            }
            else
            {
                LogStray(_logger, partition.TopicPartition, partition.TopicId, partition.Log.Directory);
            }
        }

        return deleted;
    }

    private bool HoldsReplica(TopicDescription topic, int partition) =>
        partition < topic.Partitions.Length && Array.IndexOf(topic.Partitions[partition].Replicas, BrokerId) >= 0;

    public PartitionState[] Describe()
    {
        var states = new List<PartitionState>(_partitions.Count);
        foreach (LocalPartition partition in _partitions.Values)
        {
            if (!partition.IsDeleted)
            {
                states.Add(partition.Describe(BrokerId));
            }
        }

        states.Sort(static (a, b) => string.CompareOrdinal(a.TopicPartition.ToString(), b.TopicPartition.ToString()));
        return [.. states];
    }

    private async Task DeleteAsync(LocalPartition partition)
    {
        partition.MarkDeleted();
        _partitions.TryRemove(new KeyValuePair<TopicPartition, LocalPartition>(partition.TopicPartition, partition));
        await partition.Log.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(partition.Log.Directory, recursive: true);
        LogDeleted(_logger, partition.TopicPartition, partition.TopicId, BrokerId);
    }

    private async Task RunRetentionAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.RetentionCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await EnforceRetentionAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One retention pass over every local log; a failing log is reported and skipped.</summary>
    public async Task EnforceRetentionAsync()
    {
        foreach (LocalPartition partition in _partitions.Values)
        {
            if (partition.IsDeleted)
            {
                continue;
            }

            try
            {
                await partition.Log.DeleteExpiredSegmentsAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is LogException or IOException or ObjectDisposedException)
            {
                LogRetentionFailed(_logger, partition.TopicPartition, error);
            }
        }
    }

    /// <summary>Stops retention and closes every log; the silo's stop calls it, the container again (a no-op).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopping, null) is { } stopping)
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            if (_retentionLoop is { } loop)
            {
                await loop.ConfigureAwait(false);
            }

            stopping.Dispose();
        }

        foreach (LocalPartition partition in _partitions.Values)
        {
            await partition.Log.DisposeAsync().ConfigureAwait(false);
        }

        _partitions.Clear();
    }

    internal static LogConfig ToLogConfig(Dictionary<string, string> configs) => LogConfig.FromProperties(configs);

    // The high watermark is the partition grain's to move (the minimum over the in-sync replicas), not the log's.
    private PartitionLogOptions LogOptions() => new()
    {
        Time = _time,
        AutoAdvanceHighWatermark = false,
        CheckpointInterval = _options.RecoveryCheckpointInterval,
        PageCacheTailBytes = _options.PageCacheTailBytes,
        Logger = _loggerFactory.CreateLogger<PartitionLog>(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} opened {Count} partition logs in {DataDir}")]
    private static partial void LogStarted(ILogger logger, int brokerId, int count, string dataDir);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {Directory}: it has no partition.metadata")]
    private static partial void LogSkippedDirectory(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the log of {Partition} on broker {BrokerId}")]
    private static partial void LogCreated(ILogger logger, TopicPartition partition, int brokerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the log of {Partition} (topic id {TopicId}) on broker {BrokerId}")]
    private static partial void LogDeleted(ILogger logger, TopicPartition partition, Guid topicId, int brokerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kept the log of {Partition} (topic id {TopicId}) in {Directory}: the controller knows no such topic")]
    private static partial void LogStray(ILogger logger, TopicPartition partition, Guid topicId, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention failed for {Partition}")]
    private static partial void LogRetentionFailed(ILogger logger, TopicPartition partition, Exception error);
}
