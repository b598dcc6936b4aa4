using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Producing;

/// <summary>What became of one send of a batch, as the accumulator is told it.</summary>
internal enum SendOutcome
{
    /// <summary>The leader has it (or, for a retry, already had it): done.</summary>
    Acknowledged,

    /// <summary>Another attempt may succeed: it is resent, in order, after a backoff.</summary>
    Retry,

    /// <summary>The leader does not continue this producer's sequence (OutOfOrderSequenceNumber, UnknownProducerId).</summary>
    SequenceRejected,

    /// <summary>Refused for good, or out of time: its records fail.</summary>
    Failed,
}

/// <summary>
/// The records waiting for one partition, and the batches sent to it but not yet acknowledged.
/// <list type="bullet">
/// <item>With idempotence, up to <c>maxInFlight</c> full batches are in flight per partition (a batch that is not full
/// waits until nothing is). Each sealed batch gets the
/// next sequence numbers of its producer id, so the leader appends them in order, answers a retry with the first
/// append's offsets and refuses a batch that overtook one which failed.</item>
/// <item>After any failure the partition stops sending new batches until every in-flight request has answered, then
/// resends the unacknowledged batches in sequence order, so order holds across retries.</item>
/// <item>When the sequence is broken for good (a batch failed, or the leader lost the producer's state), the
/// unacknowledged batches are renumbered under a fresh producer id before they go again.</item>
/// <item>Without idempotence one request is in flight per partition, which keeps order the simple way.</item>
/// </list>
/// </summary>
internal sealed class PartitionAccumulator
{
    private readonly Lock _lock = new();
    private readonly Queue<ProducerBatch> _sealed = new();

    // From the oldest batch sent and not yet acknowledged, every batch sent since, in sequence (= send) order; later
    // batches acknowledged before it stay (as Acknowledged) until it is, so the count is the window's span.
    private readonly List<ProducerBatch> _unacked = [];
    private readonly int _batchSize;
    private readonly int _maxInFlight;
    private readonly bool _idempotent;
    private ProducerBatch? _open;
    private int _inFlight;
    private bool _recovering;
    private bool _needsNewProducerId;
    private bool _producerIdRequested;
    private long _producerId;
    private int _nextSequence;

    /// <summary>An accumulator for <paramref name="topicPartition"/>; <paramref name="producerId"/> is the idempotent producer's id, or -1 without idempotence.</summary>
    public PartitionAccumulator(TopicPartition topicPartition, int batchSize, int maxInFlight, long producerId)
    {
        TopicPartition = topicPartition;
        _batchSize = batchSize;
        _idempotent = producerId >= 0;
        _maxInFlight = _idempotent ? maxInFlight : 1;
        _producerId = producerId;
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>
    /// Adds a record to the open batch (sealing it first when the record would overflow it). <paramref name="sealedOne"/>
    /// says a batch became ready for sending, so the sender should wake.
    /// </summary>
    public (ProducerBatch Batch, ValueTask<DeliveryResult> Delivery) Append(
        long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlySpan<RecordHeader> headers, int sizeEstimate, out bool sealedOne)
    {
        lock (_lock)
        {
            sealedOne = false;
            if (_open is { } open && open.RecordCount > 0 && open.SizeInBytes + sizeEstimate > _batchSize)
            {
                sealedOne = SealOpen();
            }

            ProducerBatch batch = _open ??= new ProducerBatch(TopicPartition, Math.Min(_batchSize, Math.Max(4096, sizeEstimate + 128)));
            ValueTask<DeliveryResult> delivery = batch.Append(timestamp, key, value, headers);
            batch.ReservedBytes += sizeEstimate;
            if (batch.SizeInBytes >= _batchSize)
            {
                sealedOne = SealOpen();
            }

            return (batch, delivery);
        }
    }

    /// <summary>Under the lock: the open batch takes no more records, gets its sequence numbers and queues for sending.</summary>
    private bool SealOpen()
    {
        ProducerBatch open = _open!;
        Seal(open);
        _sealed.Enqueue(open);
        _open = null;
        return true;
    }

    private void Seal(ProducerBatch batch)
    {
        if (_idempotent)
        {
            batch.Seal(_producerId, _nextSequence);
            _nextSequence = ProducerSequence.Add(_nextSequence, batch.RecordCount);
        }
        else
        {
            batch.Seal();
        }
    }

    /// <summary>
    /// The next batch to send, if the partition may send one now: first a batch awaiting its retry (in order, once its
    /// backoff is over), then a sealed batch, then the open one once it has lingered long enough (or at once when
    /// <paramref name="flush"/>). Otherwise null, and <paramref name="wait"/> says when to ask again.
    /// </summary>
    public ProducerBatch? TakeReady(long now, TimeSpan linger, bool flush, out TimeSpan wait)
    {
        lock (_lock)
        {
            wait = Timeout.InfiniteTimeSpan;
            if (_inFlight >= _maxInFlight)
            {
                return null;
            }

            if (_recovering)
            {
                // Everything in flight must answer first: only then is it known which batches to send again.
                if (_inFlight > 0 || _needsNewProducerId)
                {
                    return null;
                }

                _recovering = false;
            }

            foreach (ProducerBatch unacked in _unacked)
            {
                if (unacked.State != BatchState.AwaitingRetry)
                {
                    continue;
                }

                // Nothing later may overtake it.
                if (unacked.RetryNotBefore > now)
                {
                    wait = TimeSpan.FromMilliseconds(unacked.RetryNotBefore - now);
                    return null;
                }

                return Send(unacked);
            }

            // The window spans from the oldest unacknowledged batch, not just the requests in flight: were acks of
            // later batches to let it slide on, a batch whose answer was lost could fall out of the leader's memory
            // of the producer's last 5 batches, and its retry be refused instead of recognised.
            if (_unacked.Count >= _maxInFlight)
            {
                return null;
            }

            ProducerBatch? ready = null;
            if (_sealed.Count > 0)
            {
                ready = _sealed.Dequeue();
            }
            else if (_open is { } open)
            {
                // A batch that is not full goes only when nothing is in flight (or on flush): under load it keeps
                // filling while the previous request travels, so the partition sends fewer, larger requests (each
                // request costs far more than its bytes here); full batches are what pipelines.
                TimeSpan age = TimeSpan.FromMilliseconds(now - open.CreatedAt);
                if (_inFlight > 0 && !flush)
                {
                    return null;
                }

                if (flush || age >= linger)
                {
                    Seal(open);
                    _open = null;
                    ready = open;
                }
                else
                {
                    wait = linger - age;
                }
            }

            if (ready is null)
            {
                return null;
            }

            _unacked.Add(ready);
            return Send(ready);
        }
    }

    private ProducerBatch Send(ProducerBatch batch)
    {
        batch.State = BatchState.InFlight;
        batch.SentAsOldest = _unacked[0] == batch;
        batch.Attempts++;
        _inFlight++;
        return batch;
    }

    /// <summary>
    /// Takes the answer to one send of <paramref name="batch"/>. Returns true when the batch is finished (acknowledged
    /// or failed: the caller completes and releases it), false when it stays for a retry.
    /// </summary>
    public bool OnSent(ProducerBatch batch, SendOutcome outcome, long retryNotBefore)
    {
        lock (_lock)
        {
            _inFlight--;
            switch (outcome)
            {
                case SendOutcome.Acknowledged:
                    batch.State = BatchState.Acknowledged;
                    TrimAcknowledged();
                    return true;

                case SendOutcome.Failed:
                    _unacked.Remove(batch);
                    TrimAcknowledged();
                    if (_idempotent)
                    {
                        // Its sequence numbers were never taken: later batches cannot follow on, so they are renumbered.
                        _needsNewProducerId = true;
                        _recovering = true;
                    }

                    return true;

                case SendOutcome.SequenceRejected when batch.SentAsOldest:
                    // Everything before it was acknowledged when it was sent, so the leader lost this producer's
                    // sequence (its state expired, or the records before it were lost): only a new sequence can
                    // continue. (A batch sent behind an unacknowledged one may simply have overtaken it.)
                    _needsNewProducerId = true;
                    goto default;

                default:
                    // A batch that overtook a failed one is refused with a sequence error: it simply goes again.
                    batch.State = BatchState.AwaitingRetry;
                    batch.RetryNotBefore = retryNotBefore;
                    _recovering = true;
                    return false;
            }
        }
    }

    /// <summary>Under the lock: the window moves on past acknowledged batches once nothing before them is outstanding.</summary>
    private void TrimAcknowledged()
    {
        int done = 0;
        while (done < _unacked.Count && _unacked[done].State == BatchState.Acknowledged)
        {
            done++;
        }

        _unacked.RemoveRange(0, done);
    }

    /// <summary>True once (until <see cref="UseProducerId"/> or <see cref="ProducerIdUnavailable"/>) when the partition needs a new producer id and nothing is in flight.</summary>
    public bool TryBeginProducerIdChange()
    {
        lock (_lock)
        {
            if (!_needsNewProducerId || _producerIdRequested || _inFlight > 0)
            {
                return false;
            }

            _producerIdRequested = true;
            return true;
        }
    }

    /// <summary>Renumbers every unacknowledged and queued batch from sequence 0 under <paramref name="producerId"/>.</summary>
    public void UseProducerId(long producerId)
    {
        lock (_lock)
        {
            _producerId = producerId;
            int sequence = 0;
            _unacked.RemoveAll(static batch => batch.State == BatchState.Acknowledged); // in the log under the old id
            foreach (ProducerBatch batch in _unacked)
            {
                batch.Restamp(producerId, sequence);
                sequence = ProducerSequence.Add(sequence, batch.RecordCount);
            }

            foreach (ProducerBatch batch in _sealed)
            {
                batch.Restamp(producerId, sequence);
                sequence = ProducerSequence.Add(sequence, batch.RecordCount);
            }

            _nextSequence = sequence;
            _needsNewProducerId = false;
            _producerIdRequested = false;
        }
    }

    /// <summary>Getting a new producer id failed; the sender asks again later.</summary>
    public void ProducerIdUnavailable()
    {
        lock (_lock)
        {
            _producerIdRequested = false;
        }
    }

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _unacked.Count == 0 && _open is null && _sealed.Count == 0;
            }
        }
    }

    /// <summary>
    /// Fails every batch that is not in flight (the producer is closing without delivering them) and returns them,
    /// so the caller releases their buffer reservations.
    /// </summary>
    public List<ProducerBatch> FailPending(Exception error)
    {
        var failed = new List<ProducerBatch>();
        lock (_lock)
        {
            for (int i = _unacked.Count - 1; i >= 0; i--)
            {
                if (_unacked[i].State == BatchState.AwaitingRetry)
                {
                    failed.Add(_unacked[i]);
                    _unacked.RemoveAt(i);
                }
            }

            failed.AddRange(_sealed);
            _sealed.Clear();
            if (_open is { } open)
            {
                failed.Add(open);
                _open = null;
            }
        }

        foreach (ProducerBatch batch in failed)
        {
            batch.Fail(error);
        }

        return failed;
    }
}
