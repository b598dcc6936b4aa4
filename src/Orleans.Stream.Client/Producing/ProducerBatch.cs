using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Producing;

/// <summary>
/// Records for one partition on their way to its leader: built straight into a pooled RecordBatch v2 buffer, sent
/// as one produce request, and answered for all its records at once (record i gets base offset + i).
/// </summary>
internal sealed class ProducerBatch(TopicPartition topicPartition, int initialCapacity) : IDisposable
{
    private readonly RecordBatchBuilder _builder = new(initialCapacity);
    private readonly List<RecordDelivery> _deliveries = [];
    private Memory<byte> _built;
    private int _finished;

    public TopicPartition TopicPartition { get; } = topicPartition;

    /// <summary>When its first record arrived (<see cref="Environment.TickCount64"/>): <c>delivery.timeout.ms</c> counts from here, as in Kafka.</summary>
    public long CreatedAt { get; } = Environment.TickCount64;

    public int RecordCount => _builder.RecordCount;

    public int SizeInBytes => _builder.SizeInBytes;

    /// <summary>Record bytes this batch holds against the producer's <c>buffer.memory</c>.</summary>
    public long ReservedBytes { get; set; }

    /// <summary>Set once the batch takes no more records.</summary>
    public bool IsSealed { get; private set; }

    /// <summary>Where the batch is between its partition's queue and its acknowledgement (the accumulator's lock guards it).</summary>
    public BatchState State { get; set; }

    /// <summary>Whether every batch before it had been acknowledged when it was last sent.</summary>
    public bool SentAsOldest { get; set; }

    /// <summary>Sends so far; the retry backoff grows with it.</summary>
    public int Attempts { get; set; }

    /// <summary>With <see cref="BatchState.AwaitingRetry"/>: not to be resent before this tick.</summary>
    public long RetryNotBefore { get; set; }

    /// <summary>Appends a record; returns what its caller awaits. Only while not sealed, under the accumulator's lock.</summary>
    public ValueTask<DeliveryResult> Append(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlySpan<RecordHeader> headers)
    {
        _builder.Append(timestamp, key, value, headers);
        var delivery = RecordDelivery.Rent(timestamp);
        _deliveries.Add(delivery);
        return delivery.Task;
    }

    /// <summary>
    /// Seals the batch (header and CRC written), as an idempotent producer's batch when <paramref name="producerId"/> is
    /// not negative; the bytes stay valid until <see cref="Dispose"/>.
    /// </summary>
    public void Seal(long producerId = -1, int baseSequence = -1)
    {
        if (!IsSealed)
        {
            if (producerId >= 0)
            {
                _builder.ProducerId = producerId;
                _builder.ProducerEpoch = 0;
                _builder.BaseSequence = baseSequence;
            }

            _built = _builder.Build();
            IsSealed = true;
        }
    }

    /// <summary>Gives a sealed batch a new producer id and sequence (never while a send of it is in flight).</summary>
    public void Restamp(long producerId, int baseSequence)
    {
        RecordBatchBuilder.RestampProducer(_built.Span, producerId, 0, baseSequence);
    }

    public Memory<byte> Bytes => IsSealed ? _built : throw new InvalidOperationException("The batch is not sealed.");

    /// <summary>Completes every record's delivery: record i got offset <paramref name="baseOffset"/> + i (-1 for all with <c>acks=0</c>).</summary>
    public void Complete(long baseOffset)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        for (int i = 0; i < _deliveries.Count; i++)
        {
            RecordDelivery delivery = _deliveries[i];
            delivery.Complete(new DeliveryResult(TopicPartition.Topic, TopicPartition.Partition, baseOffset < 0 ? -1 : baseOffset + i, delivery.Timestamp));
        }
    }

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        foreach (RecordDelivery delivery in _deliveries)
        {
            delivery.Fail(error);
        }
    }

    public void Dispose() => _builder.Dispose();
}
