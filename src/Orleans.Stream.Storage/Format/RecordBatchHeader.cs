using System.Buffers.Binary;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

/// <summary>The 61-byte fixed header of a RecordBatch v2, decoded. See <c>RecordBatchLayout</c> for the byte layout.</summary>
public readonly record struct RecordBatchHeader(
    long BaseOffset,
    int BatchLength,
    int PartitionLeaderEpoch,
    byte Magic,
    uint Crc,
    short Attributes,
    int LastOffsetDelta,
    long BaseTimestamp,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    /// <summary>Size of the fixed header in bytes.</summary>
    public const int Size = HeaderSize;

    /// <summary>Bytes in front of the batch that <see cref="BatchLength"/> does not count (baseOffset and batchLength).</summary>
    public const int LengthPrefixSize = LogOverhead;

    /// <summary>Size of the whole batch on disk and on the wire.</summary>
    public int TotalSize => BatchLength + LogOverhead;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public CompressionType Compression => (CompressionType)(Attributes & CompressionMask);

    public TimestampType TimestampType => (Attributes & TimestampTypeMask) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & TransactionalMask) != 0;

    public bool IsControl => (Attributes & ControlMask) != 0;

    /// <summary>Decodes the header at the start of <paramref name="batch"/>, which must hold at least <see cref="Size"/> bytes.</summary>
    public static RecordBatchHeader Read(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            throw new CorruptRecordException($"A record batch header needs {HeaderSize} bytes; only {batch.Length} were given.");
        }

        return new RecordBatchHeader(
            BinaryPrimitives.ReadInt64BigEndian(batch),
            BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]),
            batch[MagicOffset],
            BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[BaseTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]),
            BinaryPrimitives.ReadInt64BigEndian(batch[ProducerIdOffset..]),
            BinaryPrimitives.ReadInt16BigEndian(batch[ProducerEpochOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[BaseSequenceOffset..]),
            BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountOffset..]));
    }

    /// <summary>The CRC-32C the batch should carry, computed over bytes [21, end).</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch) => Format.Crc32C.Compute(batch[CrcCoveredFrom..]);
}
