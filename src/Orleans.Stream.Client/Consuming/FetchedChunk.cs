using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Consuming;

/// <summary>
/// The batches from one fetch of one partition (records from <c>FromOffset</c> on), or the error that stopped its
/// fetcher. <see cref="Superseded"/> fires once a seek, re-assignment or close replaced that fetcher: such a chunk
/// is no longer delivered. The bytes are a pooled receive buffer: <see cref="Release"/> hands them back once nothing
/// refers to them any more (never, for chunks turned into <see cref="ConsumeResult"/>s: those slice it).
/// </summary>
internal sealed record FetchedChunk(TopicPartition TopicPartition, BatchPayload Payload, long FromOffset, long NextOffset, Exception? Error, CancellationToken Superseded)
{
    public bool IsCurrent => !Superseded.IsCancellationRequested;

    public Memory<byte> Batches => Payload.Memory;

    public void Release() => Payload.Release();

    public FetchedRecords ToRecords() => new(TopicPartition, Batches, FromOffset, NextOffset);

    /// <summary>
    /// Where the next fetch starts after these batches, and whether they hold any record at or after
    /// <paramref name="fromOffset"/>: a walk over batch headers (and, with <paramref name="checkCrcs"/>, a CRC over each
    /// batch it delivers). Throws for a CRC mismatch.
    /// </summary>
    public static bool Scan(TopicPartition topicPartition, ReadOnlySpan<byte> batches, long fromOffset, bool checkCrcs, out long nextOffset)
    {
        nextOffset = fromOffset;
        bool any = false;
        foreach (RecordBatch batch in new RecordBatchEnumerator(batches))
        {
            RecordBatchHeader header = batch.Header;
            if (header.LastOffset < fromOffset)
            {
                continue;
            }

            if (checkCrcs && !batch.IsCrcValid)
            {
                throw new OrleansStreamException(ErrorCode.CorruptMessage,
                    $"{topicPartition}: the batch at offset {header.BaseOffset} arrived with a CRC that does not match its bytes.");
            }

            nextOffset = Math.Max(nextOffset, header.LastOffset + 1);
            if (header.IsControl)
            {
                continue;
            }

            any = true;
        }

        return any;
    }

    /// <summary>
    /// The chunk's records (those <see cref="ToRecords"/> walks), each as a <see cref="ConsumeResult"/> over slices of
    /// the fetched bytes; the records of a compressed batch (a Kafka producer's) slice one array it is decompressed into.
    /// </summary>
    public List<ConsumeResult> ToConsumeResults()
    {
        var results = new List<ConsumeResult>();
        foreach (RecordBatch batch in new RecordBatchEnumerator(Batches.Span))
        {
            RecordBatchHeader header = batch.Header;
            if (header.IsControl || header.LastOffset < FromOffset)
            {
                continue;
            }

            if (header.Compression == CompressionType.None)
            {
                AddRecords(results, batch.Records, Batches);
                continue;
            }

            byte[] pooled = RecordDecompression.Decompress(header.Compression, batch.RecordSection, out int length);
            byte[] records = pooled.AsSpan(0, length).ToArray(); // the results outlive this call: they get an array of their own
            System.Buffers.ArrayPool<byte>.Shared.Return(pooled);
            AddRecords(results, new RecordEnumerator(header, records), records);
        }

        return results;
    }

    /// <summary>Each record at or after <see cref="FromOffset"/> as a result slicing <paramref name="owner"/>, the memory the records' spans point into.</summary>
    private void AddRecords(List<ConsumeResult> results, RecordEnumerator records, ReadOnlyMemory<byte> owner)
    {
        ReadOnlySpan<byte> all = owner.Span;
        while (records.MoveNext())
        {
            Record record = records.Current;
            if (record.Offset < FromOffset)
            {
                continue;
            }

            RecordHeader[] headers = record.HeaderCount == 0 ? [] : new RecordHeader[record.HeaderCount];
            int h = 0;
            foreach (RecordHeaderView view in record.Headers)
            {
                headers[h++] = new RecordHeader(view.GetKey(), SliceOrNull(owner, all, view.Value, view.IsValueNull));
            }

            results.Add(new ConsumeResult(
                TopicPartition.Topic,
                TopicPartition.Partition,
                record.Offset,
                record.Timestamp,
                SliceOrNull(owner, all, record.Key, record.IsKeyNull),
                SliceOrNull(owner, all, record.Value, record.IsValueNull),
                headers));
        }
    }

    /// <summary>
    /// The part of <paramref name="owner"/> that <paramref name="part"/> (a span into it) covers, without copying; null
    /// for a null field. (Not written as <c>isNull ? null : slice</c>: C# would turn that null into an empty memory.)
    /// </summary>
    private static ReadOnlyMemory<byte>? SliceOrNull(ReadOnlyMemory<byte> owner, ReadOnlySpan<byte> all, ReadOnlySpan<byte> part, bool isNull)
    {
        if (isNull)
        {
            return null;
        }

        if (part.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        int start = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(all), ref MemoryMarshal.GetReference(part));
        return owner.Slice(start, part.Length);
    }
}
