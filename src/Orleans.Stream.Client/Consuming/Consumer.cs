using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans.Stream.Client.Consuming;
using Orleans.Stream.Client.Diagnostics;
using Orleans.Stream.Client.Groups;
using Orleans.Stream.Client.Internal;
using Orleans.Stream.Client.Metadata;
using Orleans.Stream.Client.Routing;

namespace Orleans.Stream.Client;

/// <summary>
/// Reads partitions: the ones given to <see cref="Assign"/>, or, after <see cref="SubscribeAsync"/>, the share of the
/// subscribed topics its consumer group gives it. Each partition being read has a fetch loop that long-polls its
/// leader and queues whole fetched chunks (bounded by <see cref="ConsumerOptions.PrefetchChunks"/>);
/// <see cref="ConsumeAsync"/> yields their records, in offset order per partition.
/// </summary>
public sealed class Consumer : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly BrokerConnections _brokers;
    private readonly TopicMetadataCache _metadata;
    private readonly ConsumerOptions _options;
    private readonly Channel<FetchedChunk> _chunks;
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, Fetcher> _fetchers = [];
    private readonly ConcurrentDictionary<TopicPartition, long> _positions = new();

    // The next offset after the last record the application finished with (asked for the next one): what is committed on its behalf.
    private readonly ConcurrentDictionary<TopicPartition, long> _processed = new();
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly AsyncSignal _resumed = new();

    // Held while the application has a record (or a chunk) in hand, so that a rebalance takes partitions away only between records.
    private readonly SemaphoreSlim _handout = new(1, 1);
    private GroupMembership? _membership;

    // The chunk ConsumeAsync was handing out when its caller stopped enumerating: the next enumeration finishes it.
    private FetchedChunk? _partlyHandedOut;

    // Only where partitions lead is read from metadata (to pick the leader's connection); Kafka's metadata.max.age.ms.
    private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromMinutes(5);

    // A long-poll fetch may rightly take fetch.max.wait.ms; only later does the consumer ask whether the leader moved.
    private static readonly TimeSpan LeaderCheckSlack = TimeSpan.FromSeconds(1);
    private bool _disposed;

    internal Consumer(IGrainFactory grains, BrokerConnections brokers, ConsumerOptions options)
    {
        _grains = grains;
        _brokers = brokers;
        _metadata = new TopicMetadataCache(grains, MetadataMaxAge);
        _options = options;
        _chunks = Channel.CreateBounded<FetchedChunk>(new BoundedChannelOptions(Math.Max(1, options.PrefetchChunks))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Partitions the group gave this consumer (after <see cref="SubscribeAsync"/>); they are being read from their committed offsets.</summary>
    public event Action<IReadOnlyCollection<TopicPartition>>? PartitionsAssigned;

    /// <summary>
    /// Partitions taken away in a rebalance, between two records: the application has finished with everything it
    /// was handed from them, and (with auto-commit) its positions are committed.
    /// </summary>
    public event Action<IReadOnlyCollection<TopicPartition>>? PartitionsRevoked;

    /// <summary>
    /// Partitions this consumer lost without a rebalance handing them over: the group removed it (its session timed
    /// out), so another member may already be reading them. Nothing was committed for them.
    /// </summary>
    public event Action<IReadOnlyCollection<TopicPartition>>? PartitionsLost;

    /// <summary>This consumer's member id in its group, once it has joined ("" before).</summary>
    public string MemberId => _membership?.MemberId ?? "";

    /// <summary>The partitions being read now.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment
    {
        get
        {
            lock (_lock)
            {
                return [.. _fetchers.Keys];
            }
        }
    }

    /// <summary>Reads exactly these partitions from now on, each from its given offset (see <see cref="TopicPartitionOffset"/>).</summary>
    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (_membership is not null)
        {
            throw new InvalidOperationException("This consumer is subscribed: its group assigns its partitions. Unsubscribe first.");
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var wanted = new Dictionary<TopicPartition, long>();
            foreach (TopicPartitionOffset p in partitions)
            {
                TopicName.EnsureValid(p.TopicPartition.Topic);
                wanted[p.TopicPartition] = p.Offset;
            }

            foreach (TopicPartition assigned in _fetchers.Keys.ToArray())
            {
                if (!wanted.ContainsKey(assigned))
                {
                    StopReading(assigned);
                }
            }

            foreach ((TopicPartition topicPartition, long offset) in wanted)
            {
                StartFetcher(topicPartition, offset);
            }
        }
    }

    /// <summary>Moves a partition's position: records from <paramref name="offset"/> on come next (same specials as <see cref="TopicPartitionOffset"/>).</summary>
    public void Seek(TopicPartition topicPartition, long offset)
    {
        lock (_lock)
        {
            if (!_fetchers.ContainsKey(topicPartition))
            {
                throw new InvalidOperationException($"{topicPartition} is not assigned to this consumer.");
            }

            StartFetcher(topicPartition, offset);
        }
    }

    /// <summary>The offset of the next record <see cref="ConsumeAsync"/> will yield for the partition, once known.</summary>
    public long? Position(TopicPartition topicPartition) => _positions.TryGetValue(topicPartition, out long position) ? position : null;

    /// <summary>
    /// Records from every assigned partition as they arrive, until cancelled. A fetch error that retries cannot
    /// cure (e.g. OffsetOutOfRange with <c>auto.offset.reset=none</c>, or a deleted topic), and a group error that
    /// rejoining cannot cure, are thrown here. A record counts as processed once the next one is asked for.
    /// </summary>
    public async IAsyncEnumerable<ConsumeResult> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            // A chunk an earlier enumeration stopped in the middle of goes on after the last record it handed out.
            FetchedChunk? resumed = _partlyHandedOut;
            FetchedChunk chunk = resumed ?? await NextChunkAsync(cancellationToken).ConfigureAwait(false);
            _partlyHandedOut = chunk;
            long handedOutBelow = resumed is not null && _positions.TryGetValue(chunk.TopicPartition, out long position) ? position : long.MinValue;
            foreach (ConsumeResult record in chunk.ToConsumeResults())
            {
                await EnterHandoutAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (!chunk.IsCurrent)
                    {
                        break;
                    }

                    if (record.Offset < handedOutBelow)
                    {
                        continue;
                    }

                    _positions[chunk.TopicPartition] = record.Offset + 1;
                    yield return record;
                    if (_membership is not null)
                    {
                        _processed[chunk.TopicPartition] = record.Offset + 1; // only auto-commit reads it
                    }
                }
                finally
                {
                    _handout.Release();
                }
            }

            _partlyHandedOut = null;
        }
    }

    /// <summary>
    /// The same records as <see cref="ConsumeAsync"/>, a fetch at a time, without copying or allocating per record:
    /// for consumers that process records in place. The partition's position moves past a chunk when it is handed out;
    /// it counts as processed (for auto-commit) once the next one is requested.
    /// </summary>
    public async IAsyncEnumerable<FetchedRecords> ConsumeBatchesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            FetchedChunk chunk = await NextChunkAsync(cancellationToken).ConfigureAwait(false);
            await EnterHandoutAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!chunk.IsCurrent)
                {
                    continue;
                }

                _positions[chunk.TopicPartition] = chunk.NextOffset;
                yield return chunk.ToRecords();
                if (_membership is not null && chunk.IsCurrent)
                {
                    _processed[chunk.TopicPartition] = chunk.NextOffset;
                }
            }
            finally
            {
                chunk.Release(); // the caller has moved on (or stopped): the fetched bytes go back to the pool
                _handout.Release();
            }
        }
    }

    /// <summary>
    /// Joins the consumer group <see cref="ConsumerOptions.GroupId"/> and reads the partitions of
    /// <paramref name="topics"/> it assigns to this consumer, each from the group's committed offset (or
    /// <c>auto.offset.reset</c> where there is none). Membership runs in the background: heartbeats, rebalances
    /// (with <see cref="PartitionsRevoked"/> / <see cref="PartitionsAssigned"/>), and auto-commit. Subscribing again
    /// replaces the subscription.
    /// </summary>
    public async Task SubscribeAsync(IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        string groupId = _options.GroupId is { Length: > 0 } id ? id : throw new InvalidOperationException("Subscribe needs ConsumerOptions.GroupId (group.id).");
        var list = new List<string>();
        foreach (string topic in topics)
        {
            TopicName.EnsureValid(topic);
            if (!list.Contains(topic))
            {
                list.Add(topic);
            }
        }

        if (list.Count == 0)
        {
            throw new ArgumentException("Subscribe to at least one topic.", nameof(topics));
        }

        await UnsubscribeAsync().ConfigureAwait(false);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fetchers.Count > 0)
            {
                throw new InvalidOperationException("This consumer has partitions assigned by hand: a consumer either assigns or subscribes.");
            }

            _membership = new GroupMembership(this, _grains.GetGrain<IGroupCoordinatorGrain>(groupId), _metadata, _options, list);
        }

        _membership.Start();
    }

    /// <summary>Leaves the group: commits processed positions (with auto-commit), revokes every partition and stops reading.</summary>
    public async Task UnsubscribeAsync()
    {
        GroupMembership? membership = Interlocked.Exchange(ref _membership, null);
        if (membership is not null)
        {
            await membership.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What a crash looks like to the group, for fault tests: membership stops without a commit or a goodbye, and
    /// nothing more is read. The group reassigns the partitions once the session times out.
    /// </summary>
    internal void AbandonGroup()
    {
        Interlocked.Exchange(ref _membership, null)?.Abandon();
        RemovePartitions(Assignment);
    }

    /// <summary>
    /// Commits the position of every partition this consumer reads (the offset after the last record it handed out),
    /// and waits until the group has stored it (Kafka's <c>commitSync()</c>). Fails with RebalanceInProgress,
    /// IllegalGeneration or UnknownMemberId when the group has moved on; those partitions may belong to another
    /// member now.
    /// </summary>
    public Task CommitAsync(CancellationToken cancellationToken = default)
    {
        var offsets = new List<CommittedOffset>();
        foreach (TopicPartition partition in Assignment)
        {
            if (_positions.TryGetValue(partition, out long position))
            {
                offsets.Add(new CommittedOffset(partition, position));
            }
        }

        return CommitOffsetsAsync(offsets, cancellationToken);
    }

    /// <summary>Commits exactly these offsets (each the next record to read), as <see cref="CommitAsync(CancellationToken)"/> does.</summary>
    public Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var list = new List<CommittedOffset>();
        foreach (TopicPartitionOffset offset in offsets)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset.Offset);
            list.Add(new CommittedOffset(offset.TopicPartition, offset.Offset));
        }

        return CommitOffsetsAsync(list, cancellationToken);
    }

    /// <summary>The group's committed offsets for these partitions (-1 where there is none).</summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> GetCommittedOffsetsAsync(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        CommittedOffset[] committed = await Coordinator.FetchOffsets([.. partitions]).ConfigureAwait(false);
        var result = new TopicPartitionOffset[committed.Length];
        for (int i = 0; i < committed.Length; i++)
        {
            result[i] = new TopicPartitionOffset(committed[i].TopicPartition, committed[i].Offset);
        }

        return result;
    }

    /// <summary>Stops handing out records of these partitions, keeping their positions, until <see cref="Resume"/>.</summary>
    public void Pause(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_lock)
        {
            foreach (TopicPartition partition in partitions)
            {
                if (!_fetchers.TryGetValue(partition, out Fetcher? fetcher))
                {
                    throw new InvalidOperationException($"{partition} is not assigned to this consumer.");
                }

                if (_paused.Add(partition))
                {
                    // Drop what was fetched ahead (it is fetched again from the position on resume).
                    StartFetcher(partition, _positions.TryGetValue(partition, out long position) ? position : fetcher.StartOffset);
                }
            }
        }
    }

    /// <summary>Hands out records of these paused partitions again, from where they stopped.</summary>
    public void Resume(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_lock)
        {
            foreach (TopicPartition partition in partitions)
            {
                _paused.Remove(partition);
            }
        }

        _resumed.Set();
    }

    /// <summary>The paused partitions.</summary>
    public IReadOnlyCollection<TopicPartition> Paused
    {
        get
        {
            lock (_lock)
            {
                return [.. _paused];
            }
        }
    }

    private IGroupCoordinatorGrain Coordinator => _grains.GetGrain<IGroupCoordinatorGrain>(
        _options.GroupId is { Length: > 0 } id ? id : throw new InvalidOperationException("Committed offsets belong to a group: set ConsumerOptions.GroupId (group.id)."));

    private async Task CommitOffsetsAsync(List<CommittedOffset> offsets, CancellationToken cancellationToken)
    {
        if (offsets.Count == 0)
        {
            return;
        }

        GroupMembership? membership = _membership;
        ErrorCode result = membership is null
            ? await Coordinator.CommitOffsets(new OffsetCommitRequest("", -1, [.. offsets])).WaitAsync(cancellationToken).ConfigureAwait(false)
            : await membership.CommitAsync(offsets).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result != ErrorCode.None)
        {
            throw new OrleansStreamException(result, $"Commit to group {_options.GroupId} failed with {result}: the group rebalanced, and these partitions may belong to another member now.");
        }
    }

    private ValueTask EnterHandoutAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested(); // a cancelled consumer hands out nothing more, even from a fetched chunk
        return _handout.Wait(0, CancellationToken.None) ? ValueTask.CompletedTask : new ValueTask(_handout.WaitAsync(cancellationToken));
    }

    /// <summary>Group membership: waits until the application is between records (or <paramref name="timeout"/> passes); true if it got the hand-out.</summary>
    internal Task<bool> TryHoldHandoutAsync(TimeSpan timeout, CancellationToken cancellationToken) => _handout.WaitAsync(timeout, cancellationToken);

    internal void ReleaseHandout() => _handout.Release();

    /// <summary>Group membership: starts reading newly assigned partitions.</summary>
    internal void AddPartitions(IReadOnlyList<TopicPartitionOffset> partitions)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (TopicPartitionOffset partition in partitions)
            {
                StartFetcher(partition.TopicPartition, partition.Offset);
            }
        }
    }

    /// <summary>Group membership: stops reading these partitions; returns the processed positions to commit for them.</summary>
    internal List<CommittedOffset> RemovePartitions(IReadOnlyCollection<TopicPartition> partitions)
    {
        var processed = new List<CommittedOffset>();
        lock (_lock)
        {
            foreach (TopicPartition partition in partitions)
            {
                if (StopReading(partition) is long offset)
                {
                    processed.Add(new CommittedOffset(partition, offset));
                }
            }
        }

        return processed;
    }

    /// <summary>Group membership: the processed positions of the partitions read now (what auto-commit commits).</summary>
    internal List<CommittedOffset> ProcessedOffsets()
    {
        var offsets = new List<CommittedOffset>();
        lock (_lock)
        {
            foreach (TopicPartition partition in _fetchers.Keys)
            {
                if (_processed.TryGetValue(partition, out long offset))
                {
                    offsets.Add(new CommittedOffset(partition, offset));
                }
            }
        }

        return offsets;
    }

    internal void OnAssigned(IReadOnlyCollection<TopicPartition> partitions) => PartitionsAssigned?.Invoke(partitions);

    internal void OnRevoked(IReadOnlyCollection<TopicPartition> partitions) => PartitionsRevoked?.Invoke(partitions);

    internal void OnLost(IReadOnlyCollection<TopicPartition> partitions) => PartitionsLost?.Invoke(partitions);

    /// <summary>Group membership failed for good (e.g. no protocol in common with the group): <see cref="ConsumeAsync"/> throws it.</summary>
    internal void Fail(OrleansStreamException error) =>
        _chunks.Writer.TryWrite(new FetchedChunk(new TopicPartition("", -1), default, 0, 0, error, CancellationToken.None));

    private async ValueTask<FetchedChunk> NextChunkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            FetchedChunk chunk = await _chunks.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!chunk.IsCurrent)
            {
                chunk.Release();
                continue;
            }

            return chunk.Error is { } error ? throw error : chunk;
        }
    }

    private void StartFetcher(TopicPartition topicPartition, long offset)
    {
        if (_fetchers.Remove(topicPartition, out Fetcher? old))
        {
            old.Stop();
        }

        if (offset >= 0)
        {
            _positions[topicPartition] = offset;
        }

        var fetcher = new Fetcher(this, topicPartition);
        _fetchers[topicPartition] = fetcher;
        fetcher.Start(offset);
    }

    /// <summary>Under the lock: stops the partition's fetcher and forgets it; returns its processed position, if any.</summary>
    private long? StopReading(TopicPartition partition)
    {
        if (_fetchers.Remove(partition, out Fetcher? fetcher))
        {
            fetcher.Stop();
        }

        _paused.Remove(partition);
        _positions.TryRemove(partition, out _);
        return _processed.TryRemove(partition, out long offset) ? offset : null;
    }

    private bool IsPaused(TopicPartition topicPartition)
    {
        lock (_lock)
        {
            return _paused.Contains(topicPartition);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await UnsubscribeAsync().ConfigureAwait(false);
        Fetcher[] fetchers;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            fetchers = [.. _fetchers.Values];
            _fetchers.Clear();
        }

        foreach (Fetcher fetcher in fetchers)
        {
            fetcher.Stop();
        }

        foreach (Fetcher fetcher in fetchers)
        {
            await fetcher.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _chunks.Writer.TryComplete();
    }

    /// <summary>
    /// The fetch loop of one partition from one starting point (a seek or re-assignment replaces it). Stopping it
    /// also marks every chunk it queued as superseded.
    /// </summary>
    private sealed class Fetcher(Consumer consumer, TopicPartition topicPartition) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private IPartitionGrain Leader => consumer._brokers.PartitionGrain(topicPartition, consumer._metadata.LeaderOf(topicPartition));

        public Task Completion { get; private set; } = Task.CompletedTask;

        /// <summary>Where this fetcher was told to start (an offset or a spec).</summary>
        public long StartOffset { get; private set; }

        public void Start(long offset)
        {
            StartOffset = offset;
            Completion = Task.Run(() => RunAsync(offset, _stop.Token));
        }

        public void Stop()
        {
            _stop.Cancel();
            _ = Completion.ContinueWith(static (_, state) => ((Fetcher)state!).Dispose(), this, TaskScheduler.Default);
        }

        public void Dispose() => _stop.Dispose();

        private async Task RunAsync(long offset, CancellationToken stop)
        {
            ConsumerOptions options = consumer._options;
            int failures = 0;
            try
            {
                await LearnLeaderAsync().ConfigureAwait(false);
                if (offset < 0)
                {
                    offset = await ResolveAsync(offset, stop).ConfigureAwait(false);
                }

                while (!stop.IsCancellationRequested)
                {
                    if (consumer.IsPaused(topicPartition))
                    {
                        await consumer._resumed.WaitAsync(TimeSpan.FromMilliseconds(100), stop).ConfigureAwait(false);
                        continue;
                    }

                    FetchResponse response;
                    using Activity? activity = ClientActivities.StartFetch(topicPartition, offset);
                    try
                    {
                        int epoch = consumer._metadata.LeaderEpochOf(topicPartition);
                        Task<FetchResponse> fetch = Leader.Fetch(new FetchRequest(offset, options.MaxPartitionFetchBytes, (int)options.FetchMaxWait.TotalMilliseconds));
                        response = await consumer._metadata.AwaitLeaderAnswerAsync(fetch, topicPartition, epoch, options.FetchMaxWait + LeaderCheckSlack).ConfigureAwait(false);
                        activity?.SetTag("messaging.message.body.size", response.Batches.Length);
                        ClientActivities.End(activity, response.Error, response.ErrorMessage);
                    }
                    catch (Exception error) when (Transient.IsTransient(error))
                    {
                        ClientActivities.End(activity, ErrorCode.RequestTimedOut, error.Message);
                        await Task.Delay(Transient.Backoff(++failures, options.RetryBackoff, options.RetryBackoffMax), stop).ConfigureAwait(false);
                        continue;
                    }

                    switch (response.Error)
                    {
                        case ErrorCode.None:
                            failures = 0;
                            offset = await QueueAsync(response.Batches, offset, stop).ConfigureAwait(false);
                            break;
                        case ErrorCode.OffsetOutOfRange when options.AutoOffsetReset != AutoOffsetReset.None:
                            offset = await ResolveAsync(TopicPartitionOffset.Unset, stop).ConfigureAwait(false);
                            break;
                        case var code when code.IsRetriable():
                            await Task.Delay(Transient.Backoff(++failures, options.RetryBackoff, options.RetryBackoffMax), stop).ConfigureAwait(false);
                            break;
                        default:
                            throw new OrleansStreamException(response.Error, response.ErrorMessage ?? $"Fetch from {topicPartition} failed with {response.Error}.");
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception error)
            {
                OrleansStreamException failure = Transient.ToStreamException(error, $"Fetch from {topicPartition}");
                consumer._chunks.Writer.TryWrite(new FetchedChunk(topicPartition, default, offset, offset, failure, stop));
            }
        }

        /// <summary>Queues the fetched batches if they hold records at or after <paramref name="offset"/>; returns where the next fetch starts.</summary>
        private async Task<long> QueueAsync(BatchPayload batches, long offset, CancellationToken stop)
        {
            bool queued = false;
            try
            {
                if (FetchedChunk.Scan(topicPartition, batches.Memory.Span, offset, consumer._options.CheckCrcs, out long next))
                {
                    await consumer._chunks.Writer.WriteAsync(new FetchedChunk(topicPartition, batches, offset, next, null, stop), stop).ConfigureAwait(false);
                    queued = true;
                }

                return next;
            }
            finally
            {
                if (!queued)
                {
                    batches.Release();
                }
            }
        }

        /// <summary>Where the partition leads, so fetches go straight to that broker; without it they still work, through any gateway.</summary>
        private async Task LearnLeaderAsync()
        {
            try
            {
                await consumer._metadata.GetAsync(topicPartition.Topic).ConfigureAwait(false);
            }
            catch (Exception error) when (error is OrleansStreamException || Transient.IsTransient(error))
            {
                // The fetch itself reports an unknown topic or an unreachable cluster, with its retries.
            }
        }

        /// <summary>Turns Earliest / Latest / Unset (auto.offset.reset) into an offset, asking the leader.</summary>
        private async Task<long> ResolveAsync(long spec, CancellationToken stop)
        {
            if (spec == TopicPartitionOffset.Unset)
            {
                spec = consumer._options.AutoOffsetReset switch
                {
                    AutoOffsetReset.Earliest => OffsetSpec.Earliest,
                    AutoOffsetReset.Latest => OffsetSpec.Latest,
                    _ => throw new OrleansStreamException(ErrorCode.OffsetOutOfRange, $"{topicPartition}: no valid offset and auto.offset.reset is none."),
                };
            }

            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    ListOffsetsResponse response = await Leader.ListOffsets(spec).ConfigureAwait(false);
                    if (response.Error == ErrorCode.None)
                    {
                        consumer._positions[topicPartition] = response.Offset;
                        return response.Offset;
                    }

                    if (!response.Error.IsRetriable())
                    {
                        throw new OrleansStreamException(response.Error, response.ErrorMessage ?? $"ListOffsets on {topicPartition} failed with {response.Error}.");
                    }
                }
                catch (Exception error) when (Transient.IsTransient(error))
                {
                }

                await Task.Delay(Transient.Backoff(attempt, consumer._options.RetryBackoff, consumer._options.RetryBackoffMax), stop).ConfigureAwait(false);
            }
        }
    }
}
