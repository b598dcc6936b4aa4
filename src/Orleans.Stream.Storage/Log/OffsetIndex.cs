using System.Buffers.Binary;

namespace Orleans.Stream.Storage.Log;

/// <summary>One sparse offset index entry: a batch's offset relative to the segment base, and its byte position.</summary>
internal readonly record struct OffsetIndexEntry(int RelativeOffset, int Position);

/// <summary>
/// The sparse offset index of one segment (<c>.index</c>): an entry every <c>index.interval.bytes</c>, each pointing at
/// the start of a batch. On disk: 8-byte big-endian (relative offset, position) pairs, written when the segment is
/// sealed; the active segment's index lives in memory and is rebuilt by recovery.
/// </summary>
internal sealed class OffsetIndex
{
    public const int EntrySize = 8;

    private readonly AppendOnlyArray<OffsetIndexEntry> _entries;

    public OffsetIndex() => _entries = new AppendOnlyArray<OffsetIndexEntry>();

    private OffsetIndex(OffsetIndexEntry[] entries)
    {
        _entries = new AppendOnlyArray<OffsetIndexEntry>(entries.Length);
        foreach (OffsetIndexEntry entry in entries)
        {
            _entries.Add(entry);
        }
    }

    public int Count => _entries.Count;

    public void Add(int relativeOffset, int position) => _entries.Add(new OffsetIndexEntry(relativeOffset, position));

    /// <summary>Returns the memory to the pool; only once no reader can use this index.</summary>
    public void Release() => _entries.Release();

    /// <summary>Position of the last indexed batch starting at or before <paramref name="relativeOffset"/>; 0 when none.</summary>
    public int FloorPosition(long relativeOffset)
    {
        AppendOnlyArray<OffsetIndexEntry>.View entries = _entries.Snapshot();
        int lo = 0, hi = entries.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries[mid].RelativeOffset <= relativeOffset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? 0 : entries[found].Position;
    }

    /// <summary>Drops entries at or past <paramref name="position"/> (after the log file was cut there).</summary>
    public void TruncateToPosition(long position)
    {
        AppendOnlyArray<OffsetIndexEntry>.View entries = _entries.Snapshot();
        int keep = entries.Count;
        while (keep > 0 && entries[keep - 1].Position >= position)
        {
            keep--;
        }

        _entries.Truncate(keep);
    }

    public void WriteTo(string path) => IndexFiles.Write(path, ToBytes());

    /// <summary>The index in its file format (also what the remote tier stores beside a segment).</summary>
    public byte[] ToBytes()
    {
        AppendOnlyArray<OffsetIndexEntry>.View entries = _entries.Snapshot();
        byte[] bytes = new byte[entries.Count * EntrySize];
        for (int i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * EntrySize), entries[i].RelativeOffset);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((i * EntrySize) + 4), entries[i].Position);
        }

        return bytes;
    }

    /// <summary>
    /// Loads an index file, or null when it is missing or fails the sanity check (length, strictly increasing offsets
    /// and positions, positions inside the log file). A null answer means "rebuild from the log".
    /// </summary>
    public static OffsetIndex? TryLoad(string path, long logFileSize)
    {
        byte[]? bytes = IndexFiles.TryRead(path, EntrySize);
        if (bytes is null)
        {
            return null;
        }

        var entries = new OffsetIndexEntry[bytes.Length / EntrySize];
        for (int i = 0; i < entries.Length; i++)
        {
            var entry = new OffsetIndexEntry(
                BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * EntrySize)),
                BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan((i * EntrySize) + 4)));
            bool ordered = i == 0
                ? entry.RelativeOffset >= 0 && entry.Position >= 0
                : entry.RelativeOffset > entries[i - 1].RelativeOffset && entry.Position > entries[i - 1].Position;
            if (!ordered || entry.Position >= logFileSize)
            {
                return null;
            }

            entries[i] = entry;
        }

        return new OffsetIndex(entries);
    }
}
