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
}
