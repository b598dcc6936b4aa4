namespace Orleans.Stream.Storage.Format;

/// <summary>
/// Byte layout of Kafka's RecordBatch v2 (magic 2). All integers are big-endian.
/// <code>
///  offset size field
///       0    8 baseOffset            stamped by the log (outside the CRC)
///       8    4 batchLength           bytes after this field (total size = batchLength + 12)
///      12    4 partitionLeaderEpoch  stamped by the leader (outside the CRC)
///      16    1 magic                 = 2
///      17    4 crc                   CRC-32C of bytes [21, end)
///      21    2 attributes            bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
///      23    4 lastOffsetDelta
///      27    8 baseTimestamp         the first record's timestamp
///      35    8 maxTimestamp
///      43    8 producerId            -1 when not idempotent
///      51    2 producerEpoch
///      53    4 baseSequence
///      57    4 recordCount
///      61    … records               (compressed as a whole when bits 0-2 say so)
///
/// record:  length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
///          | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
///          | headerCount varint | { keyLength varint | key (UTF-8) | valueLength varint (-1 = null) | value } *
/// </code>
/// Varints are zig-zag (see <see cref="Varint"/>); record <c>length</c> counts the bytes after itself.
/// </summary>
internal static class RecordBatchLayout
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordCountOffset = 57;
    public const int RecordsOffset = 61;

    /// <summary>Size of the fixed header; also the smallest possible batch.</summary>
    public const int HeaderSize = RecordsOffset;

    /// <summary>baseOffset + batchLength: the bytes not counted by batchLength.</summary>
    public const int LogOverhead = 12;

    /// <summary>The CRC covers everything from the attributes to the end of the batch.</summary>
    public const int CrcCoveredFrom = AttributesOffset;

    public const byte CurrentMagic = 2;

    public const int CompressionMask = 0x07;
    public const int TimestampTypeMask = 0x08;
    public const int TransactionalMask = 0x10;
    public const int ControlMask = 0x20;
    public const int DeleteHorizonMask = 0x40;

    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;
    public const int NoPartitionLeaderEpoch = -1;
    public const long NoTimestamp = -1;
}
