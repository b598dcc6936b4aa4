using System.Buffers.Binary;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

/// <summary>
/// Walks concatenated record batches (a log read, a segment slice) without allocating.
/// Does not check CRCs: the log verified every batch it returned. A batch cut short throws.
/// </summary>
public ref struct RecordBatchEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private int _next;
    private RecordBatch _current;

    public RecordBatchEnumerator(ReadOnlySpan<byte> data)
    {
        _data = data;
        _next = 0;
        _current = default;
    }

    public readonly RecordBatch Current => _current;

    /// <summary>Byte position of <see cref="Current"/> in the input.</summary>
    public int Position { get; private set; }

    public readonly RecordBatchEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        int remaining = _data.Length - _next;
        if (remaining == 0)
        {
            return false;
        }

        if (remaining < HeaderSize)
        {
            throw new CorruptRecordException($"Record batch at byte {_next} is cut short: {remaining} bytes remain, a header needs {HeaderSize}.");
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(_data[(_next + BatchLengthOffset)..]);
        if (batchLength < HeaderSize - LogOverhead || batchLength > remaining - LogOverhead)
        {
            throw new CorruptRecordException($"Record batch at byte {_next} declares batchLength {batchLength}, but {remaining} bytes remain.");
        }

        int size = batchLength + LogOverhead;
        ReadOnlySpan<byte> bytes = _data.Slice(_next, size);
        if (bytes[MagicOffset] != CurrentMagic)
        {
            throw new CorruptRecordException($"Record batch at byte {_next} has magic {bytes[MagicOffset]}; only RecordBatch v2 (magic 2) is supported.");
        }

        Position = _next;
        _current = new RecordBatch(bytes);
        _next += size;
        return true;
    }
}
