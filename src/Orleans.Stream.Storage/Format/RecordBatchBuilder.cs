using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Orleans.Stream.Storage.Format;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

/// <summary>
/// Writes records straight into a pooled buffer as one uncompressed RecordBatch v2, so building a batch costs no
/// allocation per record. <see cref="Build"/> seals the header and CRC and returns the batch bytes, which stay valid
/// until <see cref="Reset"/> or <see cref="Dispose"/>. One builder builds one batch at a time and is not thread-safe.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _position = HeaderSize;
    private int _recordCount;
    private long _baseTimestamp;
    private long _maxTimestamp = NoTimestamp;
    private bool _built;

    public RecordBatchBuilder(int initialCapacity = 16 * 1024, ArrayPool<byte>? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, HeaderSize);
        _pool = pool ?? ArrayPool<byte>.Shared;
        _buffer = _pool.Rent(initialCapacity);
    }

    /// <summary>Written into the header as is; the log overwrites it with the assigned offset on append.</summary>
    public long BaseOffset { get; set; }

    /// <summary>-1 (no epoch) by default, as Kafka producers send it; the leader stamps its epoch on append.</summary>
    public int PartitionLeaderEpoch { get; set; } = NoPartitionLeaderEpoch;

    public long ProducerId { get; set; } = NoProducerId;

    public short ProducerEpoch { get; set; } = NoProducerEpoch;

    public int BaseSequence { get; set; } = NoSequence;

    public bool IsTransactional { get; set; }

    public int RecordCount => _recordCount;

    /// <summary>Bytes the batch would take if built now (header included).</summary>
    public int SizeInBytes => _position;

    /// <summary>Appends a record; null key or value is written as length -1, an empty one as length 0.</summary>
    /// <returns>The record's offset delta within the batch.</returns>
    public int Append(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlySpan<RecordHeader> headers = default)
    {
        return Append(
            timestamp,
            key.HasValue ? key.Value.Span : default,
            !key.HasValue,
            value.HasValue ? value.Value.Span : default,
            !value.HasValue,
            headers);
    }

    /// <summary>
    /// Appends a record from arrays; a null array is written as a null field. (This overload exists because a null
    /// <c>byte[]</c> would otherwise convert to an empty, non-null <see cref="ReadOnlyMemory{T}"/>.)
    /// </summary>
    public int Append(long timestamp, byte[]? key, byte[]? value, ReadOnlySpan<RecordHeader> headers = default) =>
        Append(timestamp, key, key is null, value, value is null, headers);

    /// <summary>Appends a record with a non-null key and value taken from spans.</summary>
    public int Append(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<RecordHeader> headers = default) =>
        Append(timestamp, key, false, value, false, headers);

    private int Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, ReadOnlySpan<RecordHeader> headers)
    {
        if (_built)
        {
            throw new InvalidOperationException("The batch was already built; call Reset() to start another.");
        }

        if (_recordCount == 0)
        {
            _baseTimestamp = timestamp;
        }

        int offsetDelta = _recordCount;
        long timestampDelta = timestamp - _baseTimestamp;

        int bodySize = BodySize(timestampDelta, offsetDelta, key.Length, keyIsNull, value.Length, valueIsNull, headers);
        EnsureCapacity(Varint.SizeOf(bodySize) + bodySize);

        Span<byte> dest = _buffer.AsSpan(_position);
        int p = Varint.Write(dest, bodySize);
        dest[p++] = 0; // record attributes: unused in v2
        p += Varint.Write(dest[p..], timestampDelta);
        p += Varint.Write(dest[p..], offsetDelta);
        p += WriteBytes(dest[p..], key, keyIsNull);
        p += WriteBytes(dest[p..], value, valueIsNull);
        p += Varint.Write(dest[p..], headers.Length);
        for (int i = 0; i < headers.Length; i++)
        {
            ref readonly RecordHeader header = ref headers[i];
            int keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            p += Varint.Write(dest[p..], keyBytes);
            p += Encoding.UTF8.GetBytes(header.Key, dest[p..]);
            p += WriteBytes(dest[p..], header.Value.HasValue ? header.Value.Value.Span : default, !header.Value.HasValue);
        }

        _position += p;
        _recordCount++;
        if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }

        return offsetDelta;
    }

    /// <summary>
    /// The exact size of a batch holding only this record: what a producer checks against a topic's
    /// <c>max.message.bytes</c> before accepting the record at all.
    /// </summary>
    public static int SizeOfSingleRecordBatch(ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlySpan<RecordHeader> headers = default)
    {
        int bodySize = BodySize(0, 0, key?.Length ?? 0, !key.HasValue, value?.Length ?? 0, !value.HasValue, headers);
        return HeaderSize + Varint.SizeOf(bodySize) + bodySize;
    }

    /// <summary>The fixed batch header every batch starts with (61 bytes).</summary>
    public const int BatchHeaderSize = HeaderSize;

    /// <summary>The most a record's framing can grow once it is not the first in its batch (timestamp and offset deltas).</summary>
    public const int MaxDeltaGrowth = 14;

    private static int BodySize(long timestampDelta, int offsetDelta, int keyLength, bool keyIsNull, int valueLength, bool valueIsNull, ReadOnlySpan<RecordHeader> headers)
    {
        int bodySize = 1 // attributes
            + Varint.SizeOf(timestampDelta)
            + Varint.SizeOf(offsetDelta)
            + SizeOfBytes(keyLength, keyIsNull)
            + SizeOfBytes(valueLength, valueIsNull)
            + Varint.SizeOf(headers.Length);
        for (int i = 0; i < headers.Length; i++)
        {
            ref readonly RecordHeader header = ref headers[i];
            ArgumentNullException.ThrowIfNull(header.Key, "headers[].Key");
            int keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            bodySize += Varint.SizeOf(keyBytes) + keyBytes + SizeOfBytes(header.Value?.Length ?? 0, !header.Value.HasValue);
        }

        return bodySize;
    }

    /// <summary>
    /// Seals the header (lengths, counts, timestamps, CRC) and returns the batch. The memory is writable so the log
    /// can stamp the base offset and leader epoch in place; it stays valid until <see cref="Reset"/> or <see cref="Dispose"/>.
    /// </summary>
    public Memory<byte> Build()
    {
        if (_recordCount == 0)
        {
            throw new InvalidOperationException("A record batch needs at least one record.");
        }

        Span<byte> batch = _buffer.AsSpan(0, _position);
        short attributes = IsTransactional ? (short)TransactionalMask : (short)0;
        BinaryPrimitives.WriteInt64BigEndian(batch, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[BatchLengthOffset..], _position - LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[MagicOffset] = CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[LastOffsetDeltaOffset..], _recordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordCountOffset..], _recordCount);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], RecordBatchHeader.ComputeCrc(batch));
        _built = true;
        return _buffer.AsMemory(0, _position);
    }

    /// <summary>
    /// Rewrites the producer fields of a built batch and its CRC (they are inside the checksum): how an idempotent
    /// producer renumbers batches it has not had acknowledged when it must start a new sequence.
    /// </summary>
    public static void RestampProducer(Span<byte> batch, long producerId, short producerEpoch, int baseSequence)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochOffset..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], RecordBatchHeader.ComputeCrc(batch));
    }

    /// <summary>Starts a new batch in the same buffer. Memory returned by an earlier <see cref="Build"/> is reused.</summary>
    public void Reset()
    {
        _position = HeaderSize;
        _recordCount = 0;
        _baseTimestamp = 0;
        _maxTimestamp = NoTimestamp;
        _built = false;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            _pool.Return(buffer);
        }
    }

    private static int SizeOfBytes(int length, bool isNull) => isNull ? Varint.SizeOf(-1) : Varint.SizeOf(length) + length;

    private static int WriteBytes(Span<byte> dest, ReadOnlySpan<byte> bytes, bool isNull)
    {
        if (isNull)
        {
            return Varint.Write(dest, -1);
        }

        int n = Varint.Write(dest, bytes.Length);
        bytes.CopyTo(dest[n..]);
        return n + bytes.Length;
    }

    private void EnsureCapacity(int extra)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        long needed = (long)_position + extra;
        if (needed <= _buffer.Length)
        {
            return;
        }

        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A record batch cannot exceed {Array.MaxLength} bytes.");
        }

        byte[] bigger = _pool.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, (long)_buffer.Length * 2)));
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        _pool.Return(_buffer);
        _buffer = bigger;
    }
}
