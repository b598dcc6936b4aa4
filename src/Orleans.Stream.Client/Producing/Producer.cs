using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.Stream.Client.Diagnostics;
using Orleans.Stream.Client.Internal;
using Orleans.Stream.Client.Metadata;
using Orleans.Stream.Client.Producing;
using Orleans.Stream.Client.Routing;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.Partitioning;

namespace Orleans.Stream.Client;

/// <summary>
/// Sends records to topics. A keyed record goes to Kafka's partition for its key (murmur2), a keyless one to a
/// sticky partition that changes after <c>batch.size</c> bytes (KIP-480, KIP-794). Records are batched per partition (<c>linger.ms</c>,
/// <c>batch.size</c>) and transient failures are retried until <c>delivery.timeout.ms</c>. With idempotence (the default
/// with <c>acks=all</c>) up to <c>max.in.flight.requests.per.connection</c> requests per partition are in flight and a
/// retry never writes a record twice; without it one request per partition is in flight. Either way per-partition
/// order holds. Thread-safe; dispose to flush and stop.
/// </summary>
public sealed class Producer : IAsyncDisposable
{
    // How late an answer may be before the producer asks whether the partition's leader moved (see AwaitLeaderAnswerAsync).
    private static readonly TimeSpan LeaderCheckInterval = TimeSpan.FromSeconds(1);

    private readonly BrokerConnections _brokers;
    private readonly IControllerGrain _controller;
    private readonly bool _idempotent;
    private readonly TopicMetadataCache _metadata;
    private readonly ProducerOptions _options;
    private readonly ConcurrentDictionary<TopicPartition, PartitionAccumulator> _accumulators = new();
    private readonly ConcurrentDictionary<string, TopicRoute> _routes = new(StringComparer.Ordinal);
    private readonly AsyncSignal _senderWake = new();
    private readonly AsyncSignal _spaceFreed = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Queue<PendingRecord> _pending = new();
    private int _pendingCount;
    private bool _draining;
    private readonly Task _sender;
    private long _bufferedBytes;
    private int _inFlight;
    private int _flushRequests;
    private int _disposed;

    // The idempotent producer's id (-1 until the controller has handed one out; always -1 without idempotence).
    private long _producerId = -1;
    private Task<long>? _producerIdTask;

    internal Producer(IGrainFactory grains, BrokerConnections brokers, ProducerOptions options)
    {
        options.Validate();
        _brokers = brokers;
        _options = options;
        _metadata = new TopicMetadataCache(grains, options.MetadataMaxAge);
        _controller = grains.GetGrain<IControllerGrain>(0);
        _idempotent = options.EnableIdempotence && options.Acks == Acks.All;
        if (_idempotent)
        {
            // Asked for at once, as Kafka's InitProducerId, so the first record rarely waits for it.
            _ = EnsureProducerIdAsync();
        }

        _sender = Task.Run(RunSenderAsync);
    }

    /// <summary>
    /// Produces one record and completes when it is acknowledged (per <see cref="ProducerOptions.Acks"/>) with its
    /// partition and offset. The key, value and headers are copied before this returns its task, so the caller may
    /// reuse them at once. <paramref name="cancellationToken"/> abandons a record still waiting for metadata or buffer
    /// space; a record already in a batch is delivered (or fails) with its batch. The returned task may be awaited once.
    /// Fails with <see cref="OrleansStreamException"/> for an unknown topic, a bad partition, a record the broker
    /// refuses (e.g. RecordTooLarge), or a delivery that kept failing until the timeout.
    /// </summary>
    public ValueTask<DeliveryResult> ProduceAsync(
        string topic,
        ReadOnlyMemory<byte>? key,
        ReadOnlyMemory<byte>? value,
        RecordHeader[]? headers = null,
        long? timestamp = null,
        int? partition = null,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _pendingCount) == 0 &&
            (!_idempotent || Volatile.Read(ref _producerId) >= 0) &&
            _metadata.TryGetCached(topic) is { } cached &&
            Volatile.Read(ref _bufferedBytes) < _options.BufferMemory)
        {
            return Enqueue(cached, key, value, headers, timestamp, partition);
        }

        return EnqueuePending(topic, key, value, headers, timestamp, partition, cancellationToken);
    }

    /// <summary>
    /// The path of a record that must wait (for metadata or buffer space), and of every record after it while any
    /// waits: it is copied into an ordered queue that one drainer empties as soon as it can, so records reach their
    /// partitions in call order (per-key order holds) without the caller blocking, and the queue empties in bulk.
    /// </summary>
    private ValueTask<DeliveryResult> EnqueuePending(
        string topic, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, RecordHeader[]? headers, long? timestamp, int? partition, CancellationToken cancellationToken)
    {
        var record = new PendingRecord(topic, Copy(key), Copy(value), CopyHeaders(headers), timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), partition, cancellationToken);
        bool startDrainer;
        lock (_pending)
        {
            _pending.Enqueue(record);
            Interlocked.Increment(ref _pendingCount);
            startDrainer = !_draining;
            _draining = true;
        }

        if (startDrainer)
        {
            _ = Task.Run(DrainPendingAsync, CancellationToken.None);
        }

        return new ValueTask<DeliveryResult>(record.Delivery.Task);
    }

    private async Task DrainPendingAsync()
    {
        while (true)
        {
            PendingRecord? record;
            lock (_pending)
            {
                if (!_pending.TryPeek(out record))
                {
                    _draining = false;
                    return;
                }
            }

            try
            {
                record.Cancellation.ThrowIfCancellationRequested();
                TopicDescription metadata = _metadata.TryGetCached(record.Topic)
                    ?? await Transient.RetryAsync(() => _metadata.GetAsync(record.Topic).AsTask(), _options.MaxBlock, _options.RetryBackoff, _options.RetryBackoffMax).ConfigureAwait(false);
                if (_idempotent && Volatile.Read(ref _producerId) < 0)
                {
                    await Transient.RetryAsync(EnsureProducerIdAsync, _options.MaxBlock, _options.RetryBackoff, _options.RetryBackoffMax).ConfigureAwait(false);
                }

                if (Volatile.Read(ref _bufferedBytes) >= _options.BufferMemory)
                {
                    await WaitForBufferSpaceAsync(record.Cancellation).ConfigureAwait(false);
                }

                _ = record.Complete(Enqueue(metadata, record.Key, record.Value, record.Headers, record.Timestamp, record.Partition));
            }
            catch (Exception error)
            {
                record.Delivery.TrySetException(error is TimeoutException
                    ? new OrleansStreamException(ErrorCode.RequestTimedOut, $"No metadata for topic '{record.Topic}' or no producer id within max.block.ms ({_options.MaxBlock}).", error)
                    : Transient.ToStreamException(error, $"Produce to '{record.Topic}'"));
            }

            lock (_pending)
            {
                // Dequeued only after it reached its partition: a caller that sees no pending record may go direct.
                _pending.Dequeue();
                Interlocked.Decrement(ref _pendingCount);
            }
        }
    }

    /// <summary>The producer id, asked of the controller once; a failed request is asked again by the next record.</summary>
    private Task<long> EnsureProducerIdAsync()
    {
        Task<long>? existing = Volatile.Read(ref _producerIdTask);
        if (existing is not null && !existing.IsFaulted && !existing.IsCanceled)
        {
            return existing;
        }

        Task<long> request = AllocateAsync();
        return Interlocked.CompareExchange(ref _producerIdTask, request, existing) == existing ? request : _producerIdTask!;

        async Task<long> AllocateAsync()
        {
            long id = await _controller.AllocateProducerId().ConfigureAwait(false);
            Volatile.Write(ref _producerId, id);
            return id;
        }
    }

    // Typed on purpose: a null byte[] would convert to an empty, non-null ReadOnlyMemory and lose "null key".
    private static ReadOnlyMemory<byte>? Copy(ReadOnlyMemory<byte>? bytes) => bytes is { } b ? new ReadOnlyMemory<byte>(b.ToArray()) : (ReadOnlyMemory<byte>?)null;

    private static RecordHeader[]? CopyHeaders(RecordHeader[]? headers)
    {
        if (headers is null)
        {
            return null;
        }

        var copy = new RecordHeader[headers.Length];
        for (int i = 0; i < headers.Length; i++)
        {
            copy[i] = headers[i] with { Value = Copy(headers[i].Value) };
        }

        return copy;
    }

    /// <summary>A record waiting in <see cref="_pending"/>, with its own copy of the caller's bytes.</summary>
    private sealed record PendingRecord(
        string Topic, ReadOnlyMemory<byte>? Key, ReadOnlyMemory<byte>? Value, RecordHeader[]? Headers, long Timestamp, int? Partition, CancellationToken Cancellation)
    {
        public TaskCompletionSource<DeliveryResult> Delivery { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Passes the outcome of the record's real delivery on to the task its caller holds.</summary>
        public async Task Complete(ValueTask<DeliveryResult> delivery)
        {
            try
            {
                Delivery.TrySetResult(await delivery.ConfigureAwait(false));
            }
            catch (Exception error)
            {
                Delivery.TrySetException(error);
            }
        }
    }

    private ValueTask<DeliveryResult> Enqueue(
        TopicDescription topic, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, RecordHeader[]? headers, long? timestamp, int? explicitPartition)
    {
        TopicRoute route = RouteFor(topic);
        int alone = RecordBatchBuilder.SizeOfSingleRecordBatch(key, value, headers);
        if (alone > route.MaxMessageBytes)
        {
            // Refused here, as Kafka's producer does, so it cannot take innocent records down with its batch.
            return ValueTask.FromException<DeliveryResult>(new OrleansStreamException(ErrorCode.RecordTooLarge,
                $"{topic.Name}: a record of {alone} bytes (as a batch of its own) exceeds the topic's max.message.bytes={route.MaxMessageBytes}; it was not sent."));
        }

        int partitions = topic.Partitions.Length;
        int partition;
        if (explicitPartition is { } chosen)
        {
            if (chosen < 0 || chosen >= partitions)
            {
                return ValueTask.FromException<DeliveryResult>(new OrleansStreamException(ErrorCode.UnknownTopicOrPartition,
                    $"Topic '{topic.Name}' has partitions 0..{partitions - 1}; there is no partition {chosen}."));
            }

            partition = chosen;
        }
        else if (key is { } k)
        {
            partition = KeyPartitioner.PartitionFor(k.Span, partitions);
        }
        else
        {
            partition = route.Sticky.Next(partitions, alone, route.BatchLimit);
        }

        int estimate = alone - RecordBatchBuilder.BatchHeaderSize + RecordBatchBuilder.MaxDeltaGrowth;
        PartitionAccumulator accumulator = route.Accumulators[partition] ??= _accumulators.GetOrAdd(
            new TopicPartition(topic.Name, partition),
            static (tp, state) => new PartitionAccumulator(tp, state.BatchLimit, state.MaxInFlight, state.ProducerId),
            (route.BatchLimit, MaxInFlight: _options.MaxInFlightRequestsPerPartition, ProducerId: Volatile.Read(ref _producerId)));
        Interlocked.Add(ref _bufferedBytes, estimate);
        long time = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        (ProducerBatch batch, ValueTask<DeliveryResult> delivery) = accumulator.Append(time, key, value, headers, estimate, out bool sealedOne);
        if (sealedOne || batch.RecordCount == 1)
        {
            _senderWake.Set();
        }

        return delivery;
    }

    /// <summary>The routing state for this version of the topic's metadata, derived once and reused for every record.</summary>
    private TopicRoute RouteFor(TopicDescription topic)
    {
        if (_routes.TryGetValue(topic.Name, out TopicRoute? route) && ReferenceEquals(route.Topic, topic))
        {
            return route;
        }

        int maxMessageBytes = topic.Configs.TryGetValue(TopicConfigNames.MaxMessageBytes, out string? configured) &&
            int.TryParse(configured, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int limit)
                ? limit
                : LogConfig.Default.MaxMessageBytes;
        route = new TopicRoute(topic, maxMessageBytes, Math.Min(_options.BatchSize, maxMessageBytes));
        _routes[topic.Name] = route;
        return route;
    }

    /// <summary>Sends every buffered record now, without waiting for <c>linger.ms</c>, and waits until all are acknowledged or failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushRequests);
        try
        {
            _senderWake.Set();
            while (Volatile.Read(ref _pendingCount) > 0 || !AllEmpty())
            {
                await _spaceFreed.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                _senderWake.Set();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _flushRequests);
        }
    }

    private bool AllEmpty()
    {
        foreach (PartitionAccumulator accumulator in _accumulators.Values)
        {
            if (!accumulator.IsEmpty)
            {
                return false;
            }
        }

        return true;
    }

    private async Task WaitForBufferSpaceAsync(CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)_options.MaxBlock.TotalMilliseconds;
        while (Volatile.Read(ref _bufferedBytes) >= _options.BufferMemory)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                throw new OrleansStreamException(ErrorCode.RequestTimedOut,
                    $"The producer's buffer ({_options.BufferMemory} bytes) stayed full for max.block.ms ({_options.MaxBlock}).");
            }

            await _spaceFreed.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(left, 100)), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The one sender loop: hands ready batches to <see cref="SendAsync"/> within the in-flight limits.</summary>
    private async Task RunSenderAsync()
    {
        CancellationToken closing = _closing.Token;
        while (true)
        {
            bool flush = Volatile.Read(ref _flushRequests) > 0 || closing.IsCancellationRequested;
            TimeSpan nextWake = TimeSpan.FromMilliseconds(100);
            long now = Environment.TickCount64;
            foreach (PartitionAccumulator accumulator in _accumulators.Values)
            {
                if (accumulator.TryBeginProducerIdChange())
                {
                    _ = ChangeProducerIdAsync(accumulator);
                    continue;
                }

                // A partition may have several batches ready (pipelining): take them while the limits allow.
                while (Volatile.Read(ref _inFlight) < _options.MaxInFlightRequests)
                {
                    if (accumulator.TakeReady(now, _options.Linger, flush, out TimeSpan wait) is not { } batch)
                    {
                        if (wait != Timeout.InfiniteTimeSpan && wait < nextWake)
                        {
                            nextWake = wait;
                        }

                        break;
                    }

                    Interlocked.Increment(ref _inFlight);
                    _ = SendAsync(accumulator, batch);
                }
            }

            if (closing.IsCancellationRequested && AllEmpty())
            {
                return;
            }

            await _senderWake.WaitAsync(nextWake, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>One send of a batch; the accumulator decides from its outcome whether the batch is finished or goes again.</summary>
    private async Task SendAsync(PartitionAccumulator accumulator, ProducerBatch batch)
    {
        (SendOutcome outcome, long baseOffset, OrleansStreamException? failure) = await SendOnceAsync(batch).ConfigureAwait(false);
        long retryAt = 0;
        if (outcome is SendOutcome.Retry or SendOutcome.SequenceRejected)
        {
            TimeSpan backoff = Transient.Backoff(batch.Attempts, _options.RetryBackoff, _options.RetryBackoffMax);
            long now = Environment.TickCount64;
            if (now - batch.CreatedAt + backoff.TotalMilliseconds > _options.DeliveryTimeout.TotalMilliseconds)
            {
                outcome = SendOutcome.Failed;
                failure = new OrleansStreamException(ErrorCode.RequestTimedOut,
                    $"{failure!.Message} (gave up after {batch.Attempts} attempts in delivery.timeout.ms = {_options.DeliveryTimeout}).", failure);
            }

            // A sequence error right after an ordinary failure is expected and cured by resending in order: no wait.
            retryAt = outcome == SendOutcome.SequenceRejected ? now : now + (long)backoff.TotalMilliseconds;
        }

        try
        {
            if (accumulator.OnSent(batch, outcome, retryAt))
            {
                if (outcome == SendOutcome.Acknowledged)
                {
                    batch.Complete(baseOffset);
                }
                else
                {
                    batch.Fail(failure!);
                }

                Interlocked.Add(ref _bufferedBytes, -batch.ReservedBytes);
                batch.Dispose();
                _spaceFreed.Set();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _senderWake.Set();
        }
    }

    private async Task<(SendOutcome Outcome, long BaseOffset, OrleansStreamException? Failure)> SendOnceAsync(ProducerBatch batch)
    {
        OrleansStreamException failure;
        long sent = Stopwatch.GetTimestamp();
        if (batch.Attempts == 1)
        {
            ClientMetrics.BatchQueueDuration.Record(Environment.TickCount64 - batch.CreatedAt);
        }

        using Activity? activity = ClientActivities.StartProduce(batch.TopicPartition, batch.RecordCount, batch.Bytes.Length);
        try
        {
            var request = new ProduceRequest(new BatchPayload(batch.Bytes), _options.Acks);
            IPartitionGrain leader = _brokers.PartitionGrain(batch.TopicPartition, _metadata.LeaderOf(batch.TopicPartition));
            if (_options.Acks == Acks.None)
            {
                await leader.ProduceNoAck(request).ConfigureAwait(false);
                return (SendOutcome.Acknowledged, -1, null);
            }

            int epoch = _metadata.LeaderEpochOf(batch.TopicPartition);
            ProduceResponse response = await _metadata.AwaitLeaderAnswerAsync(leader.Produce(request), batch.TopicPartition, epoch, LeaderCheckInterval).ConfigureAwait(false);
            ClientMetrics.RequestDuration.Record(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            ClientActivities.End(activity, response.Error, response.ErrorMessage);
            if (response.Error == ErrorCode.None)
            {
                return (SendOutcome.Acknowledged, response.BaseOffset, null);
            }

            failure = new OrleansStreamException(response.Error, response.ErrorMessage ?? $"Produce to {batch.TopicPartition} failed with {response.Error}.");
        }
        catch (Exception error)
        {
            failure = Transient.ToStreamException(error, $"Produce to {batch.TopicPartition}");
            ClientActivities.End(activity, failure.Code == ErrorCode.None ? ErrorCode.RequestTimedOut : failure.Code, failure.Message);
            if (!Transient.IsTransient(error))
            {
                return (SendOutcome.Failed, -1, failure);
            }

            failure = new OrleansStreamException(failure.Code == ErrorCode.None ? ErrorCode.LeaderNotAvailable : failure.Code, failure.Message, error);
        }

        if (failure.Code is ErrorCode.NotLeaderOrFollower or ErrorCode.LeaderNotAvailable or ErrorCode.FencedLeaderEpoch)
        {
            // The leader moved: the next send asks the controller where it is now, and connects there.
            _metadata.Invalidate(batch.TopicPartition.Topic);
        }

        if (failure.Code is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId)
        {
            return (SendOutcome.SequenceRejected, -1, failure);
        }

        // As in Kafka, an unknown topic or partition is worth a retry while the metadata says it exists
        // (a leader that has not caught up with a re-created topic); once the controller denies it, it is final.
        bool retriable = failure.IsRetriable ||
            (failure.Code == ErrorCode.UnknownTopicOrPartition && await StillExistsAsync(batch.TopicPartition).ConfigureAwait(false));
        return (retriable ? SendOutcome.Retry : SendOutcome.Failed, -1, failure);
    }

    /// <summary>Gets a fresh producer id for a partition whose sequence broke, then lets it resend under it.</summary>
    private async Task ChangeProducerIdAsync(PartitionAccumulator accumulator)
    {
        try
        {
            accumulator.UseProducerId(await _controller.AllocateProducerId().ConfigureAwait(false));
        }
        catch (Exception)
        {
            await Task.Delay(_options.RetryBackoff).ConfigureAwait(false);
            accumulator.ProducerIdUnavailable();
        }

        _senderWake.Set();
    }

    private async Task<bool> StillExistsAsync(TopicPartition topicPartition)
    {
        _metadata.Invalidate(topicPartition.Topic);
        try
        {
            TopicDescription topic = await _metadata.GetAsync(topicPartition.Topic).ConfigureAwait(false);
            return topicPartition.Partition < topic.Partitions.Length;
        }
        catch (OrleansStreamException error) when (error.Code == ErrorCode.UnknownTopicOrPartition)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends what is buffered, including records still waiting for metadata or buffer space, waiting at most
    /// <c>delivery.timeout.ms</c>; then stops. Anything still undelivered by then fails.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await FlushAsync().WaitAsync(_options.DeliveryTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var error = new OrleansStreamException(ErrorCode.RequestTimedOut, "The producer was closed before these records could be delivered.");
            foreach (PartitionAccumulator accumulator in _accumulators.Values)
            {
                foreach (ProducerBatch batch in accumulator.FailPending(error))
                {
                    Interlocked.Add(ref _bufferedBytes, -batch.ReservedBytes);
                    batch.Dispose();
                }
            }
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        _senderWake.Set();
        await _sender.ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>What the producer derives from one version of a topic's metadata: limits, partitioner state, accumulators.</summary>
    private sealed class TopicRoute(TopicDescription topic, int maxMessageBytes, int batchLimit)
    {
        public TopicDescription Topic { get; } = topic;

        /// <summary>The topic's <c>max.message.bytes</c>: no batch, and no record alone, may be larger.</summary>
        public int MaxMessageBytes { get; } = maxMessageBytes;

        /// <summary><c>batch.size</c>, capped at <see cref="MaxMessageBytes"/>.</summary>
        public int BatchLimit { get; } = batchLimit;

        public StickyPartition Sticky { get; } = new();

        /// <summary>Per partition, filled on first use (a benign race: both writers store the same shared instance).</summary>
        public PartitionAccumulator?[] Accumulators { get; } = new PartitionAccumulator?[topic.Partitions.Length];
    }

    /// <summary>
    /// Keyless records stick to one partition until about <c>batch.size</c> bytes went there, then move to another
    /// (KIP-480's sticky partitioner with KIP-794's switch rule): full batches, and an even spread over time.
    /// </summary>
    private sealed class StickyPartition
    {
        private readonly Lock _lock = new();
        private int _partition = -1;
        private long _bytes;

        public int Next(int partitions, int recordBytes, int switchAfterBytes)
        {
            lock (_lock)
            {
                if (_partition < 0 || _partition >= partitions || _bytes >= switchAfterBytes)
                {
                    // Any partition but the one just filled, when there is a choice.
                    _partition = _partition < 0 || _partition >= partitions || partitions == 1
                        ? Random.Shared.Next(partitions)
                        : (_partition + 1 + Random.Shared.Next(partitions - 1)) % partitions;
                    _bytes = 0;
                }

                _bytes += recordBytes;
                return _partition;
            }
        }
    }
}
