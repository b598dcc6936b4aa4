using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Client.Consuming;

/// <summary>The batches from one fetch of one partition (records from <c>FromOffset</c> on), or the error that stopped its fetcher.</summary>
internal sealed record FetchedChunk(TopicPartition TopicPartition, int Generation, Memory<byte> Batches, long FromOffset, long NextOffset, Exception? Error)
{
    public FetchedRecords ToRecords() => new(TopicPartition, Batches, FromOffset, NextOffset);

    /// <summary>
    /// Where the next fetch starts after these batches, and whether they hold any record at or after
    /// <paramref name="fromOffset"/>: a walk over batch headers only. Throws for compressed batches, which this client
    /// cannot read yet.
    /// </summary>
    public static bool Scan(TopicPartition topicPartition, ReadOnlySpan<byte> batches, long fromOffset, out long nextOffset)
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

            nextOffset = Math.Max(nextOffset, header.LastOffset + 1);
            if (header.IsControl)
            {
                continue;
            }

            if (header.Compression != CompressionType.None)
            {
                throw new OrleansStreamException(ErrorCode.CorruptMessage,
                    $"{topicPartition}: the batch at offset {header.BaseOffset} is {header.Compression}-compressed, which this client cannot read yet.");
            }

            any = true;
        }

        return any;
    }

    /// <summary>
    /// The records at or after <paramref name="fromOffset"/> in whole fetched batches (a fetch starts at the batch
    /// holding the offset, so earlier records are skipped), and the offset to fetch next. Control batches
    /// (transaction markers) carry no application records and are skipped.
    /// </summary>
    public static List<ConsumeResult> Decode(TopicPartition topicPartition, Memory<byte> batches, long fromOffset)
    {
        var records = new List<ConsumeResult>();
        ReadOnlySpan<byte> all = batches.Span;
        foreach (RecordBatch batch in new RecordBatchEnumerator(all))
        {
            RecordBatchHeader header = batch.Header;
            if (header.LastOffset < fromOffset)
            {
                continue;
            }

            if (header.IsControl)
            {
                continue;
            }

            foreach (Record record in batch.Records)
            {
                if (record.Offset < fromOffset)
                {
                    continue;
                }

                RecordHeader[] headers = record.HeaderCount == 0 ? [] : new RecordHeader[record.HeaderCount];
                int h = 0;
                foreach (RecordHeaderView view in record.Headers)
                {
                    headers[h++] = new RecordHeader(view.GetKey(), SliceOrNull(batches, all, view.Value, view.IsValueNull));
                }

                records.Add(new ConsumeResult(
                    topicPartition.Topic,
                    topicPartition.Partition,
                    record.Offset,
                    record.Timestamp,
                    SliceOrNull(batches, all, record.Key, record.IsKeyNull),
                    SliceOrNull(batches, all, record.Value, record.IsValueNull),
                    headers));
            }
        }

        return records;
    }

    /// <summary>
    /// The part of <paramref name="owner"/> that <paramref name="part"/> (a span into it) covers, without copying; null
    /// for a null field. (Not written as <c>isNull ? null : slice</c>: C# would turn that null into an empty memory.)
    /// </summary>
    private static ReadOnlyMemory<byte>? SliceOrNull(Memory<byte> owner, ReadOnlySpan<byte> ownerSpan, ReadOnlySpan<byte> part, bool isNull)
    {
        if (isNull)
        {
            return null;
        }

        if (part.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        int start = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(ownerSpan), ref MemoryMarshal.GetReference(part));
        return owner.Slice(start, part.Length);
    }
}
