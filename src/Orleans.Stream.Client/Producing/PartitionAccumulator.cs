using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Producing;

/// <summary>
/// The records waiting for one partition: the open batch being filled and sealed batches queued behind it, with
/// at most one request in flight, so batches reach the partition in the order their records were produced.
/// </summary>
internal sealed class PartitionAccumulator(TopicPartition topicPartition, int batchSize)
{
    private readonly Lock _lock = new();
    private readonly Queue<ProducerBatch> _sealed = new();
    private ProducerBatch? _open;
    private bool _inFlight;

    public TopicPartition TopicPartition { get; } = topicPartition;

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
            if (_open is { } open && open.RecordCount > 0 && open.SizeInBytes + sizeEstimate > batchSize)
            {
                sealedOne = SealOpen();
            }

            ProducerBatch batch = _open ??= new ProducerBatch(TopicPartition, Math.Min(batchSize, Math.Max(4096, sizeEstimate + 128)));
            ValueTask<DeliveryResult> delivery = batch.Append(timestamp, key, value, headers);
            batch.ReservedBytes += sizeEstimate;
            if (batch.SizeInBytes >= batchSize)
            {
                sealedOne = SealOpen();
            }

            return (batch, delivery);
        }
    }

    /// <summary>Under the lock: the open batch takes no more records and queues for sending.</summary>
    private bool SealOpen()
    {
        ProducerBatch open = _open!;
        open.Seal();
        _sealed.Enqueue(open);
        _open = null;
        return true;
    }

    /// <summary>
    /// The next batch to send, if one is ready and nothing is in flight for this partition: a sealed batch, or the
    /// open one once it has lingered long enough (or at once when <paramref name="flush"/>). Otherwise null, and
    /// <paramref name="wait"/> says when the open batch will be ready.
    /// </summary>
    public ProducerBatch? TakeReady(long now, TimeSpan linger, bool flush, out TimeSpan wait)
    {
        lock (_lock)
        {
            wait = Timeout.InfiniteTimeSpan;
            if (_inFlight)
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
                TimeSpan age = TimeSpan.FromMilliseconds(now - open.CreatedAt);
                if (flush || age >= linger)
                {
                    open.Seal();
                    _open = null;
                    ready = open;
                }
                else
                {
                    wait = linger - age;
                }
            }

            _inFlight = ready is not null;
            return ready;
        }
    }

    /// <summary>Called when the in-flight batch is done (acknowledged or failed for good).</summary>
    public void Completed()
    {
        lock (_lock)
        {
            _inFlight = false;
        }
    }

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return !_inFlight && _open is null && _sealed.Count == 0;
            }
        }
    }

    /// <summary>Fails every batch not yet sent (the producer is closing without delivering them).</summary>
    public void FailPending(Exception error)
    {
        lock (_lock)
        {
            while (_sealed.TryDequeue(out ProducerBatch? batch))
            {
                batch.Fail(error);
                batch.Dispose();
            }

            if (_open is { } open)
            {
                open.Fail(error);
                open.Dispose();
                _open = null;
            }
        }
    }
}
