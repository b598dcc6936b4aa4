using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Broker.Replication;
using Orleans.Stream.Broker.Tiering;
using Orleans.Stream.Tiering;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Partitions;

/// <summary>
/// The leader of one partition (key <c>topic/partition</c>), placed on its leader broker's silo by
/// <see cref="BrokerPlacement"/>. It appends produced batches to that broker's local log, stamped with its leader
/// epoch; streams them to the followers (<see cref="FollowerLink"/>); keeps the high watermark at the lowest offset
/// every in-sync replica holds; grows and shrinks the ISR through the controller; and serves fetches and offset
/// queries. Reentrant: the log takes one appender and many readers, so a long-poll fetch or a produce waiting for
/// its followers never holds up anything else.
/// </summary>
[GrainType(GrainTypeString), BrokerPlacement, Reentrant]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "_leading is cancelled, never disposed: calls still running when leadership ends link to it.")]
internal sealed partial class PartitionGrain(
    LogManager logs,
    RemoteTier tier,
    LeaderRegistry leaders,
    IOptions<BrokerOptions> options,
    ILoggerFactory loggers,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain, IFollowerLinkOwner, IIncomingGrainCallFilter
{
    public const string GrainTypeString = "ostream-partition";
    public static readonly GrainType GrainTypeName = GrainType.Create(GrainTypeString);

    // Cancelled when leadership ends, never disposed: reentrant calls still running then link their waits to it.
    private readonly CancellationTokenSource _leading = new();
    private readonly Dictionary<int, Follower> _followers = [];

    // The leader broker when this activation found itself elsewhere (see OnActivateAsync); -1 when it is in place.
    private int _misplacedLeader = -1;
    private TopicPartition _topicPartition;
    private LocalPartition _local = null!;
    private PartitionDescription _partition = null!;
    private ReplicationConfig _replication;
    private int _leaderEpoch;
    private long _epochStartOffset;
    private bool _alteringIsr;
    private IGrainTimer? _isrTimer;
    private LeaderStatus? _status; // published while leading, for the meters and health checks
    private KeyValuePair<string, object?> _topicTag;

    private static readonly TimeSpan RemoteReadTimeout = TimeSpan.FromSeconds(15);

    private BrokerOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _topicPartition = TopicPartition.Parse(this.GetPrimaryKeyString());
        TopicDescription? topic = await GrainFactory.GetGrain<IControllerGrain>(0).DescribeTopic(_topicPartition.Topic);
        if (topic is null || _topicPartition.Partition < 0 || _topicPartition.Partition >= topic.Partitions.Length)
        {
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} does not exist.");
        }

        PartitionDescription partition = topic.Partitions[_topicPartition.Partition];
        if (partition.Leader != logs.BrokerId)
        {
            // Not the leader's silo: placement ran when the leader was elsewhere, or a caller whose directory cache still
            // pointed here had this silo activate the grain locally. Open no log; move the activation to where placement
            // puts it now, which also makes Orleans correct the callers' caches. (Failing the activation instead would
            // leave those caches pointing here, and every retry would fail the same way.) Calls until then are refused.
            _misplacedLeader = partition.Leader;
            LogMisplaced(logger, _topicPartition, logs.BrokerId, partition.Leader);
            this.MigrateOnIdle();
            return;
        }

        _local = await logs.GetOrCreateAsync(_topicPartition, topic.TopicId, topic.Configs);
        if (!_local.TryLead(partition.LeaderEpoch))
        {
            throw new OrleansStreamException(
                ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} has seen a newer leader epoch of {_topicPartition} than {partition.LeaderEpoch}.");
        }

        _partition = partition;
        _leaderEpoch = partition.LeaderEpoch;
        _topicTag = new KeyValuePair<string, object?>(BrokerMetrics.TopicTag, _topicPartition.Topic);
        _local.Remote = null; // another leader may have changed the remote tier since this broker last led
        _replication = ReplicationConfig.From(topic.Configs);
        _epochStartOffset = _local.Log.LogEndOffset;
        _status = leaders.Lead(_topicPartition);
        PublishReplicas();
        SyncFollowers();

        // The timer keeps the leader active while idle: its followers' catch-up and the ISR depend on it.
        _isrTimer = this.RegisterGrainTimer(CheckIsrAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(1),
            Period = TimeSpan.FromSeconds(1),
            Interleave = true,
            KeepAlive = true,
        });
        UpdateHighWatermark();
        LogActivated(logger, _topicPartition, logs.BrokerId, _leaderEpoch, _local.Log.LogEndOffset, partition.Isr);
    }

    /// <summary>A misplaced activation, about to move, serves nothing: callers retry at the leader.</summary>
    public Task Invoke(IIncomingGrainCallContext context) => _misplacedLeader < 0
        ? context.Invoke()
        : throw new OrleansStreamException(ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} is not the leader of {_topicPartition} (broker {_misplacedLeader} is).");

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _isrTimer?.Dispose();
        if (_status is { } status)
        {
            leaders.Leave(status);
        }

        await _leading.CancelAsync();
        var loops = new List<Task>(_followers.Count);
        foreach (Follower follower in _followers.Values)
        {
            loops.Add(follower.Loop);
        }

        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    /// <summary>One replication loop per replica other than this one: started for new replicas, stopped for removed ones.</summary>
    private void SyncFollowers()
    {
        foreach (int replica in _partition.Replicas)
        {
            if (replica != logs.BrokerId && !_followers.ContainsKey(replica))
            {
                IReplicaGrain grain = GrainFactory.GetGrain<IReplicaGrain>(new ReplicaKey(_topicPartition, replica).ToString());
                var link = new FollowerLink(replica, grain, _local.Log, logs.BrokerId, _leaderEpoch, Options, this, loggers.CreateLogger<FollowerLink>());
                var stop = CancellationTokenSource.CreateLinkedTokenSource(_leading.Token);
                _followers[replica] = new Follower(link, stop, link.RunAsync(stop.Token));
            }
        }

        foreach ((int broker, Follower follower) in _followers)
        {
            if (Array.IndexOf(_partition.Replicas, broker) < 0)
            {
                _followers.Remove(broker);
                follower.Stop.Cancel();
                _ = follower.Loop.ContinueWith(static (_, stop) => ((CancellationTokenSource)stop!).Dispose(), follower.Stop, TaskScheduler.Default);
            }
        }
    }

    private sealed record Follower(FollowerLink Link, CancellationTokenSource Stop, Task Loop);


    public async Task<ProduceResponse> Produce(ProduceRequest request)
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = BrokerActivities.Start("append", _topicPartition);
        try
        {
            ProduceResponse response = await AppendAsync(request);
            if (activity is not null)
            {
                activity.SetTag("messaging.kafka.offset", response.BaseOffset);
                activity.SetStatus(response.Error == ErrorCode.None ? ActivityStatusCode.Ok : ActivityStatusCode.Error, response.ErrorMessage);
            }

            return response;
        }
        catch (ObjectDisposedException)
        {
            // The log closed under the request (the broker is stopping, the topic was deleted): the producer retries elsewhere.
            OrleansStreamException closed = Closed();
            return ProduceResponse.Failed(closed.Code, closed.Message);
        }
        finally
        {
            request.Batches.Release();
            BrokerMetrics.ProduceDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<ProduceResponse> AppendAsync(ProduceRequest request)
    {
        if (Unavailable() is { } error)
        {
            return ProduceResponse.Failed(error.Code, error.Message);
        }

        if (request.Acks == Acks.All && _partition.Isr.Length < _replication.MinInsyncReplicas)
        {
            return ProduceResponse.Failed(ErrorCode.NotEnoughReplicas,
                $"{_topicPartition}: {_partition.Isr.Length} in-sync replica(s) ({string.Join(",", _partition.Isr)}), fewer than min.insync.replicas={_replication.MinInsyncReplicas}.");
        }

        PartitionLog log = _local.Log;
        AppendResult appended;
        try
        {
            appended = await log.AppendAsync(request.Batches.Memory, _leaderEpoch);
        }
        catch (LogException failure)
        {
            return ProduceResponse.Failed((ErrorCode)failure.KafkaErrorCode, $"{_topicPartition}: {failure.Message}");
        }

        BrokerMetrics.ProducedRecords.Add(appended.LastOffset - appended.FirstOffset + 1, _topicTag);
        BrokerMetrics.ProducedBytes.Add(request.Batches.Memory.Length, _topicTag);
        UpdateHighWatermark();
        if (request.Acks == Acks.All && log.HighWatermark <= appended.LastOffset)
        {
            if (await WaitForInSyncReplicasAsync(appended.LastOffset) is { } failed)
            {
                return failed;
            }
        }

        return new ProduceResponse(ErrorCode.None, appended.FirstOffset, appended.LastOffset, appended.LogStartOffset, null);
    }

    /// <summary><c>acks=all</c>: waits until the high watermark passes <paramref name="lastOffset"/>; null once it has.</summary>
    private async Task<ProduceResponse?> WaitForInSyncReplicasAsync(long lastOffset)
    {
        using Activity? activity = BrokerActivities.Start("wait for in-sync replicas", _topicPartition);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_leading.Token);
        wait.CancelAfter(Options.ReplicationTimeout);
        try
        {
            await _local.Log.WaitForHighWatermarkAsync(lastOffset, wait.Token);
        }
        catch (OperationCanceledException)
        {
            return _leading.IsCancellationRequested
                ? ProduceResponse.Failed(ErrorCode.NotLeaderOrFollower, $"{_topicPartition}: broker {logs.BrokerId} stopped leading before the in-sync replicas had the records.")
                : ProduceResponse.Failed(ErrorCode.RequestTimedOut, $"{_topicPartition}: the in-sync replicas ({string.Join(",", _partition.Isr)}) did not all have the records within {Options.ReplicationTimeout.TotalSeconds:0.#} s.");
        }

        // As Kafka: the records are committed, but with fewer in-sync replicas than promised the producer should know.
        return _partition.Isr.Length < _replication.MinInsyncReplicas
            ? ProduceResponse.Failed(ErrorCode.NotEnoughReplicasAfterAppend, $"{_topicPartition}: written, but the ISR shrank below min.insync.replicas={_replication.MinInsyncReplicas}.")
            : null;
    }

    public async Task ProduceNoAck(ProduceRequest request) => await Produce(request);

    public async Task<FetchResponse> Fetch(FetchRequest request)
    {
        using Activity? activity = BrokerActivities.Start("fetch", _topicPartition);
        if (Unavailable() is { } error)
        {
            return FetchResponse.Failed(error.Code, error.Message);
        }

        PartitionLog log = _local.Log;
        if (request.Offset < log.LogStartOffset && log.Config.RemoteStorageEnable && tier.IsEnabled)
        {
            return await FetchRemoteAsync(log, request);
        }

        try
        {
            if (request.MaxWaitMs > 0 && request.Offset >= log.HighWatermark && request.Offset <= log.LogEndOffset)
            {
                await WaitForDataAsync(log, request);
            }

            // The read's pooled buffer travels with the response and goes back to the pool once serialized.
            LogReadResult read = log.Read(request.Offset, Math.Max(1, request.MaxBytes));
            CountFetched(request.Offset, read.NextOffset, read.Batches.Length);
            return new FetchResponse(ErrorCode.None, BatchPayload.Lease(read.Batches, read), read.HighWatermark, _local.LogStartOffset, read.LogEndOffset, null);
        }
        catch (LogException failure)
        {
            return FetchResponse.Failed((ErrorCode)failure.KafkaErrorCode, $"{_topicPartition}: {failure.Message}", _local.LogStartOffset, log.HighWatermark);
        }
        catch (ObjectDisposedException)
        {
            OrleansStreamException closed = Closed();
            return FetchResponse.Failed(closed.Code, closed.Message);
        }
    }

    /// <summary>
    /// Below the local log start: the same batches from the remote tier, through the manifest and the segment's index.
    /// A store that is down is KafkaStorageError, which consumers retry; an object that fails its checks is
    /// CorruptMessage naming the blob, as a corrupt local segment is. Never wrong data.
    /// </summary>
    private async Task<FetchResponse> FetchRemoteAsync(PartitionLog log, FetchRequest request)
    {
        // Answer well inside the caller's grain call timeout even if the store hangs (the SDK's own timeouts are minutes).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_leading.Token);
        timeout.CancelAfter(RemoteReadTimeout);
        try
        {
            RemoteManifest manifest = await tier.GetManifestAsync(_local, timeout.Token);
            if (manifest.Find(request.Offset) is not { } segment)
            {
                long start = _local.LogStartOffset;
                return FetchResponse.Failed(ErrorCode.OffsetOutOfRange,
                    $"{_topicPartition}: offset {request.Offset} is below the log start {start} (remote and local).", start, log.HighWatermark);
            }

            RemoteReadResult read = await tier.Reader.ReadAsync(_topicPartition, segment, request.Offset, Math.Max(1, request.MaxBytes), timeout.Token);
            BrokerMetrics.RemoteFetchBytes.Add(read.Batches.Length);
            CountFetched(request.Offset, read.NextOffset, read.Batches.Length);
            return new FetchResponse(ErrorCode.None, BatchPayload.Lease(read.Batches, read), log.HighWatermark, _local.LogStartOffset, log.LogEndOffset, null);
        }
        catch (InvalidDataException corrupt)
        {
            LogRemoteReadFailed(logger, _topicPartition, request.Offset, corrupt.Message);
            return FetchResponse.Failed(ErrorCode.CorruptMessage, $"{_topicPartition}: the remote tier's copy of offset {request.Offset} is unusable: {corrupt.Message}", _local.LogStartOffset, log.HighWatermark);
        }
        catch (Exception) when (_leading.IsCancellationRequested)
        {
            return FetchResponse.Failed(ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} no longer leads {_topicPartition}.");
        }
        catch (Exception error)
        {
            _local.Remote = null; // read the manifest again next time
            LogRemoteReadFailed(logger, _topicPartition, request.Offset, error.Message);
            return FetchResponse.Failed(ErrorCode.KafkaStorageError, $"{_topicPartition}: the remote tier could not be read at offset {request.Offset}: {error.Message}", _local.LogStartOffset, log.HighWatermark);
        }
    }

    private void CountFetched(long offset, long nextOffset, int bytes)
    {
        if (bytes > 0)
        {
            BrokerMetrics.FetchedRecords.Add(Math.Max(0, nextOffset - offset), _topicTag);
            BrokerMetrics.FetchedBytes.Add(bytes, _topicTag);
        }
    }

    private async Task WaitForDataAsync(PartitionLog log, FetchRequest request)
    {
        TimeSpan wait = TimeSpan.FromMilliseconds(request.MaxWaitMs);
        if (wait > Options.MaxFetchWait)
        {
            wait = Options.MaxFetchWait;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_leading.Token);
        timeout.CancelAfter(wait);
        try
        {
            await log.WaitForHighWatermarkAsync(request.Offset, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Nothing new within maxWait (or leadership ended): answer with an empty fetch, as Kafka does.
        }
    }

    public async Task<ListOffsetsResponse> ListOffsets(long timestamp)
    {
        if (Unavailable() is { } error)
        {
            return new ListOffsetsResponse(error.Code, -1, -1, error.Message);
        }

        PartitionLog log = _local.Log;
        switch (timestamp)
        {
            case OffsetSpec.Latest:
                return new ListOffsetsResponse(ErrorCode.None, log.HighWatermark, -1, null);
            case OffsetSpec.Earliest:
                return new ListOffsetsResponse(ErrorCode.None, _local.LogStartOffset, -1, null);
            case < 0:
                return new ListOffsetsResponse(ErrorCode.InvalidRequest, -1, -1, $"Timestamp {timestamp} is neither a time nor -1 (latest) or -2 (earliest).");
        }

        try
        {
            TimestampOffset? found = await FindRemoteOffsetByTimestampAsync(log, timestamp) ?? log.FindOffsetByTimestamp(timestamp);
            return found is { } at
                ? new ListOffsetsResponse(ErrorCode.None, at.Offset, at.Timestamp, null)
                : new ListOffsetsResponse(ErrorCode.None, -1, -1, null);
        }
        catch (InvalidDataException corrupt)
        {
            return new ListOffsetsResponse(ErrorCode.CorruptMessage, -1, -1, $"{_topicPartition}: {corrupt.Message}");
        }
        catch (Exception failure) when (failure is Azure.RequestFailedException or OperationCanceledException && !_leading.IsCancellationRequested)
        {
            return new ListOffsetsResponse(ErrorCode.KafkaStorageError, -1, -1, $"{_topicPartition}: the remote tier could not be searched: {failure.Message}");
        }
    }

    /// <summary>
    /// For a tiered log: the first record at or after <paramref name="timestamp"/> among the remote segments that hold
    /// offsets below the local start (the first whose newest record is that recent); null when the answer is local.
    /// </summary>
    private async Task<TimestampOffset?> FindRemoteOffsetByTimestampAsync(PartitionLog log, long timestamp)
    {
        if (!log.Config.RemoteStorageEnable || !tier.IsEnabled)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_leading.Token);
        timeout.CancelAfter(RemoteReadTimeout);
        RemoteManifest manifest = await tier.GetManifestAsync(_local, timeout.Token);
        foreach (RemoteSegment segment in manifest.Segments)
        {
            if (segment.BaseOffset >= log.LogStartOffset)
            {
                return null; // the rest is local too
            }

            if (segment.MaxTimestamp >= timestamp)
            {
                return await tier.Reader.FindOffsetByTimestampAsync(_topicPartition, segment, timestamp, timeout.Token);
            }
        }

        return null;
    }

    public Task<PartitionState> Describe() =>
        Unavailable() is { } error
            ? Task.FromException<PartitionState>(error)
            : Task.FromResult(_local.Describe(logs.BrokerId, _partition.Isr));

    public Task<OffsetForLeaderEpochResponse> OffsetForLeaderEpoch(int currentLeaderEpoch, int epoch)
    {
        if (Unavailable() is { } error)
        {
            return Task.FromResult(new OffsetForLeaderEpochResponse(error.Code, -1, -1, error.Message));
        }

        if (currentLeaderEpoch != _leaderEpoch)
        {
            return Task.FromResult(currentLeaderEpoch < _leaderEpoch
                ? new OffsetForLeaderEpochResponse(ErrorCode.FencedLeaderEpoch, -1, -1, $"{_topicPartition}: epoch {currentLeaderEpoch} is older than the leader's {_leaderEpoch}.")
                : new OffsetForLeaderEpochResponse(ErrorCode.NotLeaderOrFollower, -1, -1, $"{_topicPartition}: this leader (epoch {_leaderEpoch}) is behind epoch {currentLeaderEpoch}."));
        }

        EpochEndOffset end = _local.Log.EndOffsetForEpoch(epoch);
        return Task.FromResult(new OffsetForLeaderEpochResponse(ErrorCode.None, end.Epoch, end.EndOffset, null));
    }

    public Task PartitionChanged(PartitionDescription partition)
    {
        if (_leading.IsCancellationRequested || partition.LeaderEpoch < _leaderEpoch)
        {
            return Task.CompletedTask;
        }

        Adopt(partition);
        return Task.CompletedTask;
    }

    public void OnFollowerProgress(FollowerLink link)
    {
        UpdateHighWatermark();
        if (!_alteringIsr && Array.IndexOf(_partition.Isr, link.BrokerId) < 0
            && link.LogEndOffset >= Math.Max(_local.Log.HighWatermark, _epochStartOffset))
        {
            // Caught up with everything committed, and with this epoch's start: back into the ISR.
            int[] isr = [.. _partition.Isr, link.BrokerId];
            _ = AlterIsrAsync(isr, $"broker {link.BrokerId} caught up at offset {link.LogEndOffset}");
        }
    }

    public void OnFenced() => _ = RefreshFromControllerAsync();

    /// <summary>The high watermark: the lowest offset every in-sync replica holds (durably, under group-commit).</summary>
    private void UpdateHighWatermark()
    {
        PartitionLog log = _local.Log;
        long highWatermark = log.AcknowledgeableOffset;
        long slowest = log.LogEndOffset;
        int[] isr = _partition.Isr;
        foreach (Follower follower in _followers.Values)
        {
            long followerEnd = follower.Link.LogEndOffset;
            slowest = Math.Min(slowest, followerEnd);
            if (Array.IndexOf(isr, follower.Link.BrokerId) >= 0)
            {
                highWatermark = Math.Min(highWatermark, followerEnd);
            }
        }

        _status?.SetMaxLag(log.LogEndOffset - Math.Max(0, slowest)); // a follower that never answered lacks everything

        if (highWatermark > 0)
        {
            log.AdvanceHighWatermark(highWatermark);
        }
    }

    /// <summary>Once a second: followers that have not caught up for <see cref="BrokerOptions.ReplicaLagTimeMax"/> leave the ISR.</summary>
    private Task CheckIsrAsync(CancellationToken cancellationToken)
    {
        if (_alteringIsr || Unavailable() is not null)
        {
            return Task.CompletedTask;
        }

        long now = Environment.TickCount64;
        List<int>? lagging = null; // once a second per leader: nothing allocated while every follower keeps up
        foreach (Follower follower in _followers.Values)
        {
            if (Array.IndexOf(_partition.Isr, follower.Link.BrokerId) >= 0 && now - follower.Link.LastCaughtUpAt > Options.ReplicaLagTimeMax.TotalMilliseconds)
            {
                (lagging ??= []).Add(follower.Link.BrokerId);
            }
        }

        if (lagging is null)
        {
            return Task.CompletedTask;
        }

        return AlterIsrAsync([.. _partition.Isr.Where(member => !lagging.Contains(member))], $"broker(s) {string.Join(",", lagging)} fell behind for more than {Options.ReplicaLagTimeMax.TotalSeconds:0.#} s");
    }

    private async Task AlterIsrAsync(int[] isr, string reason)
    {
        _alteringIsr = true;
        try
        {
            PartitionDescription changed = await GrainFactory.GetGrain<IControllerGrain>(0).AlterIsr(_topicPartition, _leaderEpoch, isr);
            LogIsrChanged(logger, _topicPartition, _partition.Isr, changed.Isr, reason);
            Adopt(changed);
        }
        catch (OrleansStreamException error) when (error.Code == ErrorCode.FencedLeaderEpoch)
        {
            StopLeading(error.Message);
        }
        catch (Exception error)
        {
            LogIsrChangeFailed(logger, _topicPartition, reason, error);
        }
        finally
        {
            _alteringIsr = false;
        }
    }

    private async Task RefreshFromControllerAsync()
    {
        try
        {
            TopicDescription? topic = await GrainFactory.GetGrain<IControllerGrain>(0).DescribeTopic(_topicPartition.Topic);
            if (topic is null || _topicPartition.Partition >= topic.Partitions.Length)
            {
                StopLeading("the topic is gone");
                return;
            }

            await PartitionChanged(topic.Partitions[_topicPartition.Partition]);
        }
        catch (Exception error)
        {
            LogIsrChangeFailed(logger, _topicPartition, "refresh after a fenced follower", error);
        }
    }

    private void Adopt(PartitionDescription partition)
    {
        if (partition.LeaderEpoch > _leaderEpoch || partition.Leader != logs.BrokerId)
        {
            StopLeading($"leadership moved to broker {partition.Leader} in epoch {partition.LeaderEpoch}");
        }
        else if (partition.PartitionEpoch > _partition.PartitionEpoch && partition.LeaderEpoch == _leaderEpoch)
        {
            _partition = partition;
            PublishReplicas();
            SyncFollowers();
            UpdateHighWatermark();
        }
    }

    private void PublishReplicas() => _status?.SetReplicas(_partition.Replicas.Length, _partition.Isr.Length, _replication.MinInsyncReplicas);

    private void StopLeading(string reason)
    {
        if (_leading.IsCancellationRequested)
        {
            return;
        }

        LogStoppedLeading(logger, _topicPartition, logs.BrokerId, _leaderEpoch, reason);
        if (_status is { } status)
        {
            leaders.Leave(status); // no longer counted as this broker's, even before the activation is gone
        }

        _leading.Cancel();
        DeactivateOnIdle();
    }

    /// <summary>Why the log was closed under a request: the topic was deleted, or the broker is shutting down.</summary>
    private OrleansStreamException Closed() => _local.IsDeleted
        ? Deleted()
        : new OrleansStreamException(ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} is closing its log of {_topicPartition}.");

    private OrleansStreamException Deleted() => new(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} was deleted.");

    /// <summary>Null while this activation can serve; else the error to answer with (and the grain leaves).</summary>
    private OrleansStreamException? Unavailable()
    {
        if (_local.IsDeleted)
        {
            StopLeading("the topic was deleted");
            return Deleted();
        }

        if (_leading.IsCancellationRequested || !_local.IsLeading(_leaderEpoch))
        {
            StopLeading("this broker's log has moved on");
            return new OrleansStreamException(ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} no longer leads {_topicPartition}.");
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition} led by broker {BrokerId} in epoch {Epoch}, log end offset {LogEndOffset}, ISR {Isr}")]
    private static partial void LogActivated(ILogger logger, TopicPartition partition, int brokerId, int epoch, long logEndOffset, int[] isr);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Partition}: remote read at offset {Offset} failed: {Reason}")]
    private static partial void LogRemoteReadFailed(ILogger logger, TopicPartition partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: ISR {From} -> {To} ({Reason})")]
    private static partial void LogIsrChanged(ILogger logger, TopicPartition partition, int[] from, int[] to, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: ISR change failed ({Reason})")]
    private static partial void LogIsrChangeFailed(ILogger logger, TopicPartition partition, string reason, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition} was activated on broker {BrokerId}, but broker {Leader} leads it: moving the activation there")]
    private static partial void LogMisplaced(ILogger logger, TopicPartition partition, int brokerId, int leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: broker {BrokerId} stopped leading epoch {Epoch}: {Reason}")]
    private static partial void LogStoppedLeading(ILogger logger, TopicPartition partition, int brokerId, int epoch, string reason);
}
