using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

/// <summary>One RecordBatch v2 in a span: its header and, for uncompressed batches, its records.</summary>
public readonly ref struct RecordBatch
{
    public RecordBatch(ReadOnlySpan<byte> bytes)
    {
        Bytes = bytes;
        Header = RecordBatchHeader.Read(bytes);
    }

    public RecordBatchHeader Header { get; }

    /// <summary>The whole batch, header included.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The bytes after the header: the records, compressed as a whole when the header says so.</summary>
    public ReadOnlySpan<byte> RecordSection => Bytes[RecordsOffset..];

    /// <summary>True when the stored CRC matches the bytes.</summary>
    public bool IsCrcValid => RecordBatchHeader.ComputeCrc(Bytes) == Header.Crc;

    /// <summary>
    /// The records of an uncompressed batch. Compressed batches are stored as they came; their records are only
    /// reachable after decompressing the record section (pass it to <see cref="RecordEnumerator"/> directly).
    /// </summary>
    public RecordEnumerator Records
    {
        get
        {
            if (Header.Compression != CompressionType.None)
            {
                throw new InvalidRecordException(
                    $"Record batch at offset {Header.BaseOffset} is compressed ({Header.Compression}); decompress its record section to walk its records.");
            }

            return new RecordEnumerator(Header, Bytes[RecordsOffset..]);
        }
    }

    /// <summary>
    /// The first record with timestamp ≥ <paramref name="timestamp"/> (Kafka's ListOffsets by time), or null when the
    /// batch is older. For a compressed batch (whose records are not decoded here) the answer is its base offset and
    /// max timestamp: never later than the true record, so a consumer seeking there misses nothing.
    /// </summary>
    public TimestampOffset? FindTimestamp(long timestamp)
    {
        if (Header.MaxTimestamp < timestamp)
        {
            return null;
        }

        if (Header.Compression != CompressionType.None)
        {
            return new TimestampOffset(Header.MaxTimestamp, Header.BaseOffset);
        }

        foreach (Record record in Records)
        {
            if (record.Timestamp >= timestamp)
            {
                return new TimestampOffset(record.Timestamp, record.Offset);
            }
        }

        return null;
    }
}
