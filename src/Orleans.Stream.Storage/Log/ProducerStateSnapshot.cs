using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// The file <c>producer.snapshot</c>: the producer state table as it stood when the log closed cleanly, so a clean
/// restart does not read every batch header to rebuild it. Used only together with a clean-shutdown checkpoint at
/// the same log end; after a crash the table is rebuilt from the log instead. Layout (big-endian):
/// version int32 = 1 | logEndOffset int64 | count int32 | count × { producerId int64 | epoch int16 | lastTimestamp int64
/// | batches int8 | batches × { firstSequence int32 | lastSequence int32 | firstOffset int64 | lastOffset int64 } } | crc32c uint32.
/// </summary>
internal static class ProducerStateSnapshot
{
    public const string FileName = "producer.snapshot";
    private const int Version = 1;
    private const int EntryHeaderSize = 8 + 2 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8;

    public static void Write(string directory, ProducerStateTable table, long logEndOffset)
    {
        var entries = new List<ProducerSnapshotEntry>(table.Entries());
        int size = 4 + 8 + 4 + 4;
        foreach (ProducerSnapshotEntry entry in entries)
        {
            size += EntryHeaderSize + (entry.Batches.Length * BatchSize);
        }

        byte[] bytes = new byte[size];
        Span<byte> span = bytes;
        BinaryPrimitives.WriteInt32BigEndian(span, Version);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], logEndOffset);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], entries.Count);
        int position = 16;
        foreach (ProducerSnapshotEntry entry in entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[position..], entry.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span[(position + 8)..], entry.Epoch);
            BinaryPrimitives.WriteInt64BigEndian(span[(position + 10)..], entry.LastTimestamp);
            span[position + 18] = (byte)entry.Batches.Length;
            position += EntryHeaderSize;
            foreach (ProducedBatch batch in entry.Batches)
            {
                BinaryPrimitives.WriteInt32BigEndian(span[position..], batch.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(span[(position + 4)..], batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(span[(position + 8)..], batch.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(position + 16)..], batch.LastOffset);
                position += BatchSize;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[position..], Crc32C.Compute(span[..position]));
        DurableFile.WriteAtomically(Path.Combine(directory, FileName), bytes);
    }

    /// <summary>
    /// Loads the snapshot into <paramref name="table"/> if it is whole and was taken at <paramref name="logEndOffset"/>;
    /// false (table untouched) otherwise. The file is removed either way: it describes one moment only.
    /// </summary>
    public static bool TryLoad(string directory, long logEndOffset, ProducerStateTable table)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return false;
        }

        byte[] bytes = File.ReadAllBytes(path);
        File.Delete(path);
        ReadOnlySpan<byte> span = bytes;
        if (bytes.Length < 20
            || BinaryPrimitives.ReadInt32BigEndian(span) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(span[^4..]) != Crc32C.Compute(span[..^4])
            || BinaryPrimitives.ReadInt64BigEndian(span[4..]) != logEndOffset)
        {
            return false;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(span[12..]);
        var entries = new List<ProducerSnapshotEntry>(count);
        int position = 16;
        for (int i = 0; i < count; i++)
        {
            if (position + EntryHeaderSize > bytes.Length - 4)
            {
                return false;
            }

            long producerId = BinaryPrimitives.ReadInt64BigEndian(span[position..]);
            short epoch = BinaryPrimitives.ReadInt16BigEndian(span[(position + 8)..]);
            long lastTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[(position + 10)..]);
            int batchCount = span[position + 18];
            position += EntryHeaderSize;
            if (batchCount > ProducerStateTable.RetainedBatches || position + (batchCount * BatchSize) > bytes.Length - 4)
            {
                return false;
            }

            var batches = new ProducedBatch[batchCount];
            for (int b = 0; b < batchCount; b++)
            {
                batches[b] = new ProducedBatch(
                    BinaryPrimitives.ReadInt32BigEndian(span[position..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(position + 4)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(position + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(position + 16)..]));
                position += BatchSize;
            }

            entries.Add(new ProducerSnapshotEntry(producerId, epoch, lastTimestamp, batches));
        }

        foreach (ProducerSnapshotEntry entry in entries)
        {
            table.Restore(entry);
        }

        return true;
    }
}
