namespace Orleans.Stream.Storage.Log;

/// <summary>What the log makes of an idempotent producer's batch (Kafka's sequence rules).</summary>
internal enum SequenceVerdict
{
    /// <summary>The next batch of this producer (or not an idempotent batch at all): append it.</summary>
    Append,

    /// <summary>A retry of a batch already in the log: answer with its offsets, append nothing.</summary>
    Duplicate,

    /// <summary>A gap or a repeat that is not one of the recent batches: refuse (Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER).</summary>
    OutOfOrder,

    /// <summary>An older epoch of a producer that has moved on: refuse (Kafka's INVALID_PRODUCER_EPOCH).</summary>
    Fenced,

    /// <summary>A producer this log has no state for, continuing mid-sequence: refuse (Kafka's UNKNOWN_PRODUCER_ID).</summary>
    UnknownProducer,
}

/// <summary>Where one batch of an idempotent producer landed.</summary>
internal readonly record struct ProducedBatch(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset);

/// <summary>One producer as a snapshot stores it.</summary>
internal readonly record struct ProducerSnapshotEntry(long ProducerId, short Epoch, long LastTimestamp, ProducedBatch[] Batches);

/// <summary>
/// Per producer id, its epoch and its last few batches, so that a retried batch is recognised and answered with its
/// original offsets instead of being appended twice, and a batch that overtook a failed one is refused until the
/// gap is filled (which is what lets a producer keep several requests in flight per partition and still keep
/// order). The rules are Kafka's: sequences count records per partition from 0 within an epoch, wrap at
/// <see cref="int.MaxValue"/>, and the last <see cref="RetainedBatches"/> batches are remembered (Kafka's limit on
/// requests in flight with idempotence). Used by the log's single writer only: not thread-safe.
/// </summary>
internal sealed class ProducerStateTable
{
    public const int RetainedBatches = 5;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    public int Count => _producers.Count;

    /// <summary>
    /// The verdict on a batch of records <paramref name="firstSequence"/>..<paramref name="lastSequence"/> from
    /// <paramref name="producerId"/> at <paramref name="epoch"/>. For a duplicate, <paramref name="original"/> is where
    /// it landed; for an out-of-order batch, <paramref name="expectedSequence"/> is the sequence the log waits for.
    /// </summary>
    public SequenceVerdict Check(long producerId, short epoch, int firstSequence, int lastSequence, out ProducedBatch original, out int expectedSequence)
    {
        original = default;
        expectedSequence = 0;
        if (producerId < 0)
        {
            return SequenceVerdict.Append; // not idempotent
        }

        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry))
        {
            return firstSequence == 0 ? SequenceVerdict.Append : SequenceVerdict.UnknownProducer;
        }

        if (epoch < entry.Epoch)
        {
            return SequenceVerdict.Fenced;
        }

        if (epoch > entry.Epoch)
        {
            // A new epoch starts its sequences again.
            return firstSequence == 0 ? SequenceVerdict.Append : SequenceVerdict.OutOfOrder;
        }

        if (entry.Find(firstSequence, lastSequence, out original))
        {
            return SequenceVerdict.Duplicate;
        }

        expectedSequence = entry.Count == 0 ? 0 : ProducerSequence.Add(entry.Last.LastSequence, 1);
        return firstSequence == expectedSequence ? SequenceVerdict.Append : SequenceVerdict.OutOfOrder;
    }

    /// <summary>
    /// Remembers a batch the log has just appended (only after <see cref="Check"/> said <see cref="SequenceVerdict.Append"/>)
    /// at <paramref name="appendedAtMs"/> by the broker's clock.
    /// </summary>
    public void Record(long producerId, short epoch, ProducedBatch batch, long appendedAtMs = 0)
    {
        if (producerId < 0)
        {
            return;
        }

        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry))
        {
            entry = new ProducerEntry(epoch);
            _producers[producerId] = entry;
        }
        else if (epoch != entry.Epoch)
        {
            entry.Reset(epoch);
        }

        entry.Add(batch);
        entry.LastTimestamp = Math.Max(entry.LastTimestamp, appendedAtMs);
    }

    /// <summary>
    /// Remembers a batch that is in the log with its offsets stamped: one a follower copied, or one recovery found.
    /// <paramref name="seenAtMs"/> is when this log saw it (the broker's clock, not the producer's timestamps, which
    /// may be anything), which is what <c>producer.id.expiration.ms</c> counts from. Batches without a producer id
    /// are ignored.
    /// </summary>
    public void Observe(in RecordBatchHeader header, long seenAtMs)
    {
        if (header.ProducerId >= 0)
        {
            Record(header.ProducerId, header.ProducerEpoch,
                new ProducedBatch(header.BaseSequence, ProducerSequence.Add(header.BaseSequence, header.LastOffsetDelta), header.BaseOffset, header.LastOffset),
                seenAtMs);
        }
    }

    /// <summary>
    /// Forgets producers whose newest batch is older than <paramref name="expirationMs"/> (Kafka's
    /// <c>producer.id.expiration.ms</c>), so the table does not grow with every producer that ever wrote.
    /// Returns how many were forgotten.
    /// </summary>
    public int RemoveExpired(long nowMs, long expirationMs)
    {
        List<long>? expired = null;
        foreach ((long producerId, ProducerEntry entry) in _producers)
        {
            if (nowMs - entry.LastTimestamp >= expirationMs)
            {
                (expired ??= []).Add(producerId);
            }
        }

        if (expired is null)
        {
            return 0;
        }

        foreach (long producerId in expired)
        {
            _producers.Remove(producerId);
        }

        return expired.Count;
    }

    /// <summary>Every producer with its epoch, newest timestamp and retained batches (oldest first): what a snapshot holds.</summary>
    public IEnumerable<ProducerSnapshotEntry> Entries()
    {
        foreach ((long producerId, ProducerEntry entry) in _producers)
        {
            yield return new ProducerSnapshotEntry(producerId, entry.Epoch, entry.LastTimestamp, entry.ToArray());
        }
    }

    /// <summary>Puts back a producer read from a snapshot.</summary>
    public void Restore(in ProducerSnapshotEntry saved)
    {
        var entry = new ProducerEntry(saved.Epoch) { LastTimestamp = saved.LastTimestamp };
        foreach (ProducedBatch batch in saved.Batches)
        {
            entry.Add(batch);
        }

        _producers[saved.ProducerId] = entry;
    }

    /// <summary>Forgets everything (the log was truncated: the table is rebuilt from a snapshot and the log).</summary>
    public void Clear() => _producers.Clear();

    /// <summary>One producer: its epoch and a ring of its last batches, oldest first.</summary>
    private sealed class ProducerEntry(short epoch)
    {
        private readonly ProducedBatch[] _batches = new ProducedBatch[RetainedBatches];
        private int _start;

        public short Epoch { get; private set; } = epoch;

        /// <summary>When the log last saw a batch of it (broker clock): what <c>producer.id.expiration.ms</c> counts from.</summary>
        public long LastTimestamp { get; set; }

        public int Count { get; private set; }

        public ProducedBatch Last => _batches[(_start + Count - 1) % RetainedBatches];

        public void Reset(short epoch)
        {
            Epoch = epoch;
            _start = 0;
            Count = 0;
        }

        public void Add(ProducedBatch batch)
        {
            if (Count == RetainedBatches)
            {
                _batches[_start] = batch;
                _start = (_start + 1) % RetainedBatches;
            }
            else
            {
                _batches[(_start + Count) % RetainedBatches] = batch;
                Count++;
            }
        }

        public ProducedBatch[] ToArray()
        {
            var batches = new ProducedBatch[Count];
            for (int i = 0; i < Count; i++)
            {
                batches[i] = _batches[(_start + i) % RetainedBatches];
            }

            return batches;
        }

        public bool Find(int firstSequence, int lastSequence, out ProducedBatch found)
        {
            for (int i = 0; i < Count; i++)
            {
                ProducedBatch batch = _batches[(_start + i) % RetainedBatches];
                if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
                {
                    found = batch;
                    return true;
                }
            }

            found = default;
            return false;
        }
    }
}
