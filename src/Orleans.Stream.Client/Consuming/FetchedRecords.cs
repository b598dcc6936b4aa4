using Orleans.Stream.Storage;

namespace Orleans.Stream.Client;

/// <summary>
/// The records of one fetch of one partition, as the broker stored them (whole RecordBatch v2 batches, never
/// copied per record). Walk them with <c>foreach (Record record in fetched)</c>: records below
/// <see cref="FromOffset"/> (a fetch starts at the batch that holds it) and control batches are skipped.
/// The bytes are a pooled receive buffer, valid until the enumeration that yielded this value moves on: copy what
/// must outlive that.
/// </summary>
public readonly struct FetchedRecords
{
    internal FetchedRecords(TopicPartition topicPartition, ReadOnlyMemory<byte> batches, long fromOffset, long nextOffset)
    {
        TopicPartition = topicPartition;
        Batches = batches;
        FromOffset = fromOffset;
        NextOffset = nextOffset;
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>Whole batches exactly as stored on the broker.</summary>
    public ReadOnlyMemory<byte> Batches { get; }

    /// <summary>The first offset this fetch asked for.</summary>
    public long FromOffset { get; }

    /// <summary>The offset after the last record here: where the partition's next fetch starts.</summary>
    public long NextOffset { get; }

    public Enumerator GetEnumerator() => new(Batches.Span, FromOffset);

    /// <summary>
    /// Walks the records at or after <see cref="FromOffset"/> without allocating. A compressed batch (from a Kafka
    /// producer) is decompressed into a pooled buffer that lives until the walk moves past the batch.
    /// </summary>
    public ref struct Enumerator
    {
        private RecordBatchEnumerator _batches;
        private RecordEnumerator _records;
        private bool _inBatch;
        private readonly long _from;
        private byte[]? _decompressed;

        internal Enumerator(ReadOnlySpan<byte> batches, long from)
        {
            _batches = new RecordBatchEnumerator(batches);
            _records = default;
            _inBatch = false;
            _from = from;
        }

        public readonly Record Current => _records.Current;

        public bool MoveNext()
        {
            while (true)
            {
                if (_inBatch)
                {
                    while (_records.MoveNext())
                    {
                        if (_records.Current.Offset >= _from)
                        {
                            return true;
                        }
                    }

                    _inBatch = false;
                    ReturnDecompressed();
                }

                if (!_batches.MoveNext())
                {
                    return false;
                }

                RecordBatch batch = _batches.Current;
                if (batch.Header.IsControl || batch.Header.LastOffset < _from)
                {
                    continue;
                }

                if (batch.Header.Compression == CompressionType.None)
                {
                    _records = batch.Records;
                }
                else
                {
                    _decompressed = RecordDecompression.Decompress(batch.Header.Compression, batch.RecordSection, out int length);
                    _records = new RecordEnumerator(batch.Header, _decompressed.AsSpan(0, length));
                }

                _inBatch = true;
            }
        }

        /// <summary>Returns the buffer of a decompressed batch (foreach calls it at the end of the walk).</summary>
        public void Dispose() => ReturnDecompressed();

        private void ReturnDecompressed()
        {
            if (_decompressed is { } buffer)
            {
                _decompressed = null;
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
