using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans.Stream.Client.Consuming;
using Orleans.Stream.Client.Internal;
using Orleans.Stream.Client.Metadata;
using Orleans.Stream.Client.Routing;

namespace Orleans.Stream.Client;

/// <summary>
/// Reads assigned partitions. Each assigned partition has a fetch loop that long-polls its leader and queues
/// whole fetched chunks (bounded by <see cref="ConsumerOptions.PrefetchChunks"/>); <see cref="ConsumeAsync"/>
/// yields their records, in offset order per partition. Consumer groups add subscription on top of this.
/// </summary>
public sealed class Consumer : IAsyncDisposable
{
    private readonly BrokerConnections _brokers;
    private readonly TopicMetadataCache _metadata;
    private readonly ConsumerOptions _options;
    private readonly Channel<FetchedChunk> _chunks;
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, Fetcher> _fetchers = [];
    private readonly ConcurrentDictionary<TopicPartition, long> _positions = new();

    // Only where partitions lead is read from metadata (to pick the leader's connection); Kafka's metadata.max.age.ms.
    private static readonly TimeSpan MetadataMaxAge = TimeSpan.FromMinutes(5);

    // A long-poll fetch may rightly take fetch.max.wait.ms; only later does the consumer ask whether the leader moved.
    private static readonly TimeSpan LeaderCheckSlack = TimeSpan.FromSeconds(1);
    private bool _disposed;

    internal Consumer(IGrainFactory grains, BrokerConnections brokers, ConsumerOptions options)
    {
        _brokers = brokers;
        _metadata = new TopicMetadataCache(grains, MetadataMaxAge);
        _options = options;
        _chunks = Channel.CreateBounded<FetchedChunk>(new BoundedChannelOptions(Math.Max(1, options.PrefetchChunks))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

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
                    _fetchers.Remove(assigned, out Fetcher? fetcher);
                    fetcher!.Stop();
                    _positions.TryRemove(assigned, out _);
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
    /// cure (e.g. OffsetOutOfRange with <c>auto.offset.reset=none</c>, or a deleted topic) is thrown here.
    /// </summary>
    public async IAsyncEnumerable<ConsumeResult> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            FetchedChunk chunk = await NextChunkAsync(cancellationToken).ConfigureAwait(false);
            foreach (ConsumeResult record in chunk.ToConsumeResults())
            {
                if (!chunk.IsCurrent)
                {
                    break;
                }

                _positions[chunk.TopicPartition] = record.Offset + 1;
                yield return record;
            }
        }
    }

    /// <summary>
    /// The same records as <see cref="ConsumeAsync"/>, a fetch at a time, without copying or allocating per record:
    /// for consumers that process records in place. The partition's position moves past a chunk once the next one
    /// is requested.
    /// </summary>
    public async IAsyncEnumerable<FetchedRecords> ConsumeBatchesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            FetchedChunk chunk = await NextChunkAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                yield return chunk.ToRecords();
            }
            finally
            {
                chunk.Release(); // the caller has moved on (or stopped): the fetched bytes go back to the pool
            }

            if (chunk.IsCurrent)
            {
                _positions[chunk.TopicPartition] = chunk.NextOffset;
            }
        }
    }

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

    public async ValueTask DisposeAsync()
    {
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

        public void Start(long offset) => Completion = Task.Run(() => RunAsync(offset, _stop.Token));

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
                    FetchResponse response;
                    try
                    {
                        int epoch = consumer._metadata.LeaderEpochOf(topicPartition);
                        Task<FetchResponse> fetch = Leader.Fetch(new FetchRequest(offset, options.MaxPartitionFetchBytes, (int)options.FetchMaxWait.TotalMilliseconds));
                        response = await consumer._metadata.AwaitLeaderAnswerAsync(fetch, topicPartition, epoch, options.FetchMaxWait + LeaderCheckSlack).ConfigureAwait(false);
                    }
                    catch (Exception error) when (Transient.IsTransient(error))
                    {
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
