using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// Files <c>{offset}.snapshot</c>: the producer state table as it stood when the log reached that offset (written
/// when a segment rolls and on a clean close, deleted with their segments), so opening or truncating a log reads
/// only the batch headers after the newest snapshot at or below its end instead of the whole log. Snapshots are a shortcut, never the truth: they are not fsynced, a damaged
/// one is skipped (its CRC fails) and an older one or the log itself is used instead, and truncation deletes those
/// past the cut. Layout (big-endian): version int32 = 1 | offset int64 | count int32 | count × { producerId int64 |
/// epoch int16 | lastTimestamp int64 | batches int8 | batches × { firstSequence int32 | lastSequence int32 |
/// firstOffset int64 | lastOffset int64 } } | crc32c uint32.
/// </summary>
internal static class ProducerStateSnapshot
{
    private const int Version = 1;
    private const int EntryHeaderSize = 8 + 2 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8;

    /// <summary>Writes the table as of <paramref name="offset"/> (temp file, then rename).</summary>
    public static void Write(string directory, ProducerStateTable table, long offset)
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
        BinaryPrimitives.WriteInt64BigEndian(span[4..], offset);
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
        string path = SegmentFiles.ProducerSnapshotPath(directory, offset);
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>
    /// Deletes the snapshots outside [<paramref name="logStartOffset"/>, <paramref name="logEndOffset"/>]: those before
    /// the start went with the segments retention removed (one per remaining segment is kept, so a truncation anywhere
    /// reads at most one segment's headers); those past the end describe batches the log was cut back from, or never got.
    /// </summary>
    public static void Prune(string directory, long logStartOffset, long logEndOffset)
    {
        foreach (long taken in List(directory))
        {
            if (taken < logStartOffset || taken > logEndOffset)
            {
                File.Delete(SegmentFiles.ProducerSnapshotPath(directory, taken));
            }
        }
    }

    /// <summary>
    /// Loads the newest whole snapshot taken at or below <paramref name="logEndOffset"/> into <paramref name="table"/>
    /// and returns its offset: batches from there on must still be read from the log. -1 (table untouched) if none.
    /// </summary>
    public static long LoadNewest(string directory, long logEndOffset, ProducerStateTable table)
    {
        List<long> offsets = List(directory);
        for (int i = offsets.Count - 1; i >= 0; i--)
        {
            if (offsets[i] <= logEndOffset && TryLoad(SegmentFiles.ProducerSnapshotPath(directory, offsets[i]), offsets[i], table))
            {
                return offsets[i];
            }
        }

        return -1;
    }

    private static List<long> List(string directory)
    {
        var offsets = new List<long>();
        foreach (string path in Directory.EnumerateFiles(directory, "*" + SegmentFiles.ProducerSnapshotExtension))
        {
            if (SegmentFiles.TryParseBaseOffset(Path.GetFileName(path), SegmentFiles.ProducerSnapshotExtension, out long offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    private static bool TryLoad(string path, long offset, ProducerStateTable table)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> span = bytes;
        if (bytes.Length < 20
            || BinaryPrimitives.ReadInt32BigEndian(span) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(span[^4..]) != Crc32C.Compute(span[..^4])
            || BinaryPrimitives.ReadInt64BigEndian(span[4..]) != offset)
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
