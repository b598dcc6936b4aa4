using System.Buffers.Binary;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage.Format;

/// <summary>What a validated append holds, gathered in the one pass that checked it.</summary>
internal readonly record struct BatchSetSummary(
    int BatchCount,
    long RecordCount,
    long OffsetCount,
    long FirstBaseOffset,
    long LastOffset,
    long MaxTimestamp,
    int TotalBytes,
    IdempotentBatch Producer);

/// <summary>The producer fields of an append from an idempotent producer (which holds exactly one batch); <see cref="None"/> otherwise.</summary>
internal readonly record struct IdempotentBatch(long ProducerId, short Epoch, int FirstSequence, int LastSequence)
{
    public static IdempotentBatch None { get; } = new(NoProducerId, NoProducerEpoch, NoSequence, NoSequence);

    public bool IsIdempotent => ProducerId >= 0;
}

/// <summary>How strictly offsets inside an append are checked.</summary>
internal enum OffsetRule
{
    /// <summary>Producer data: the log assigns offsets, records must be numbered 0..n-1 inside each batch.</summary>
    AssignOnAppend,

    /// <summary>Replicated data: offsets are kept; batches must be increasing and start at the expected offset.</summary>
    KeepAsWritten,
}

/// <summary>
/// Checks bytes before the log accepts them: whole batches, magic 2, CRC, size limit, and every record parses and
/// agrees with the header (a compressed batch's records after decompressing them; the batch is stored compressed). Runs on the caller's thread so a bad batch is refused
/// without touching the log.
/// </summary>
internal static class RecordBatchValidator
{
    public static BatchSetSummary Validate(ReadOnlySpan<byte> data, int maxMessageBytes, OffsetRule rule)
    {
        if (data.IsEmpty)
        {
            throw new InvalidRecordException("An append needs at least one record batch; got 0 bytes.");
        }

        int batches = 0;
        long records = 0;
        long offsets = 0;
        long firstBase = -1;
        long lastOffset = -1;
        long maxTimestamp = NoTimestamp;
        IdempotentBatch producer = IdempotentBatch.None;
        int position = 0;
        while (position < data.Length)
        {
            ReadOnlySpan<byte> rest = data[position..];
            if (rest.Length < HeaderSize)
            {
                throw new CorruptRecordException(
                    $"Record batch at byte {position} is cut short: {rest.Length} bytes remain, a batch header needs {HeaderSize}.");
            }

            int batchLength = BinaryPrimitives.ReadInt32BigEndian(rest[BatchLengthOffset..]);
            if (batchLength < HeaderSize - LogOverhead || batchLength > rest.Length - LogOverhead)
            {
                throw new CorruptRecordException(
                    $"Record batch at byte {position} declares batchLength {batchLength}, but {rest.Length - LogOverhead} bytes follow its length field.");
            }

            int size = batchLength + LogOverhead;
            if (size > maxMessageBytes)
            {
                throw new RecordTooLargeException(size, maxMessageBytes);
            }

            ReadOnlySpan<byte> batch = rest[..size];
            RecordBatchHeader header = Check(batch, position);
            if (rule == OffsetRule.KeepAsWritten)
            {
                if (header.BaseOffset < 0 || header.BaseOffset <= lastOffset)
                {
                    throw new InvalidRecordException(
                        $"Replicated batch at byte {position} has base offset {header.BaseOffset}; offsets must be non-negative and increasing (previous batch ended at {lastOffset}).");
                }
            }
            else if (header.IsControl)
            {
                throw new InvalidRecordException($"Record batch at byte {position} is a control batch; producers may not append control batches.");
            }

            if (header.Compression == CompressionType.None)
            {
                CheckRecords(batch[RecordsOffset..], header, position, rule);
            }
            else
            {
                // Stored as it came; decompressed once, here, only to check that its records agree with its header.
                byte[] decompressed = RecordDecompression.Decompress(header.Compression, batch[RecordsOffset..], out int length);
                try
                {
                    CheckRecords(decompressed.AsSpan(0, length), header, position, rule);
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(decompressed);
                }
            }

            if (rule == OffsetRule.AssignOnAppend && (header.ProducerId >= 0 || producer.IsIdempotent))
            {
                // As in Kafka: the sequence check answers for one batch per request, so an idempotent append is one batch.
                if (batches > 0)
                {
                    throw new InvalidRecordException("An append from an idempotent producer must hold exactly one record batch.");
                }

                if (header.BaseSequence < 0 || header.ProducerEpoch < 0)
                {
                    throw new InvalidRecordException(
                        $"Record batch at byte {position} has producer id {header.ProducerId} but epoch {header.ProducerEpoch} and base sequence {header.BaseSequence}; both must be non-negative.");
                }

                producer = new IdempotentBatch(header.ProducerId, header.ProducerEpoch, header.BaseSequence,
                    ProducerSequence.Add(header.BaseSequence, header.LastOffsetDelta));
            }

            if (firstBase < 0)
            {
                firstBase = header.BaseOffset;
            }

            lastOffset = rule == OffsetRule.KeepAsWritten ? header.LastOffset : lastOffset;
            maxTimestamp = Math.Max(maxTimestamp, header.MaxTimestamp);
            records += header.RecordCount;
            offsets += header.LastOffsetDelta + 1L;
            batches++;
            position += size;
        }

        return new BatchSetSummary(batches, records, offsets, firstBase, lastOffset, maxTimestamp, data.Length, producer);
    }

    /// <summary>Header-level checks shared by append validation and reads: magic, CRC, counts.</summary>
    internal static RecordBatchHeader Check(ReadOnlySpan<byte> batch, long where)
    {
        byte magic = batch[MagicOffset];
        if (magic != CurrentMagic)
        {
            throw new CorruptRecordException(
                $"Record batch at byte {where} has magic {magic}; only RecordBatch v2 (magic 2) is accepted.");
        }

        RecordBatchHeader header = RecordBatchHeader.Read(batch);
        uint crc = RecordBatchHeader.ComputeCrc(batch);
        if (crc != header.Crc)
        {
            throw new CorruptRecordException(
                $"Record batch at byte {where} fails its CRC check: stored 0x{header.Crc:x8}, computed 0x{crc:x8}.");
        }

        if (header.RecordCount <= 0)
        {
            throw new InvalidRecordException($"Record batch at byte {where} holds {header.RecordCount} records; a batch needs at least one.");
        }

        if (header.LastOffsetDelta < header.RecordCount - 1)
        {
            throw new InvalidRecordException(
                $"Record batch at byte {where} has lastOffsetDelta {header.LastOffsetDelta} for {header.RecordCount} records.");
        }

        if ((int)header.Compression > (int)CompressionType.Zstd)
        {
            throw new InvalidRecordException($"Record batch at byte {where} names unknown compression codec {(int)header.Compression}.");
        }

        return header;
    }

    private static void CheckRecords(ReadOnlySpan<byte> recordSection, in RecordBatchHeader header, int position, OffsetRule rule)
    {
        var records = new RecordEnumerator(header, recordSection);
        long maxTimestamp = NoTimestamp;
        int index = 0;
        int previousDelta = -1;
        while (records.MoveNext())
        {
            Record record = records.Current;
            bool sequential = rule == OffsetRule.AssignOnAppend ? record.OffsetDelta == index : record.OffsetDelta > previousDelta;
            if (!sequential)
            {
                throw new InvalidRecordException(
                    $"Record {index} of the batch at byte {position} has offset delta {record.OffsetDelta}; expected {(rule == OffsetRule.AssignOnAppend ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"more than {previousDelta}")}.");
            }

            RecordHeaderEnumerator headers = record.Headers;
            while (headers.MoveNext())
            {
            }

            if (!headers.IsComplete)
            {
                throw new CorruptRecordException($"Record {index} of the batch at byte {position} has bytes after its last header.");
            }

            maxTimestamp = Math.Max(maxTimestamp, record.Timestamp);
            previousDelta = record.OffsetDelta;
            index++;
        }

        if (rule == OffsetRule.AssignOnAppend && previousDelta != header.LastOffsetDelta)
        {
            throw new InvalidRecordException(
                $"Record batch at byte {position} says lastOffsetDelta {header.LastOffsetDelta}, but its last record has delta {previousDelta}.");
        }

        if (header.TimestampType == TimestampType.CreateTime && maxTimestamp != header.MaxTimestamp)
        {
            throw new InvalidRecordException(
                $"Record batch at byte {position} says maxTimestamp {header.MaxTimestamp}, but its records' largest timestamp is {maxTimestamp}.");
        }
    }
}
