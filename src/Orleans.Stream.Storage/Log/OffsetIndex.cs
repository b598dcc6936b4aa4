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
    /// Loads an index file, or null when it is missing or fails <see cref="Check"/>. A null answer means "rebuild from
    /// the log".
    /// </summary>
    public static OffsetIndex? TryLoad(string path, long logFileSize)
    {
        byte[]? bytes = IndexFiles.TryRead(path, EntrySize);
        if (bytes is null || Check(bytes, logFileSize, int.MaxValue) is not null)
        {
            return null;
        }

        var entries = new OffsetIndexEntry[bytes.Length / EntrySize];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadEntry(bytes, i);
        }

        return new OffsetIndex(entries);
    }

    /// <summary>Entry <paramref name="index"/> of an index in its file format.</summary>
    public static OffsetIndexEntry ReadEntry(ReadOnlySpan<byte> bytes, int index) => new(
        BinaryPrimitives.ReadInt32BigEndian(bytes[(index * EntrySize)..]),
        BinaryPrimitives.ReadInt32BigEndian(bytes[((index * EntrySize) + 4)..]));

    /// <summary>
    /// What is wrong with an index in its file format (a local file or a remote blob), for a log of
    /// <paramref name="logSize"/> bytes holding relative offsets up to <paramref name="maxRelativeOffset"/>: whole
    /// entries, offsets and positions strictly increasing, positions inside the log. Null when nothing is.
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> bytes, long logSize, long maxRelativeOffset)
    {
        if (bytes.Length % EntrySize != 0)
        {
            return $"{bytes.Length} bytes are not a whole number of {EntrySize}-byte entries";
        }

        OffsetIndexEntry previous = new(-1, -1);
        for (int i = 0; i < bytes.Length / EntrySize; i++)
        {
            OffsetIndexEntry entry = ReadEntry(bytes, i);
            if (entry.RelativeOffset <= previous.RelativeOffset || entry.Position <= previous.Position || entry.Position >= logSize || entry.RelativeOffset > maxRelativeOffset)
            {
                return $"entry {i} (relative offset {entry.RelativeOffset}, position {entry.Position}) does not follow the previous one inside the log";
            }

            previous = entry;
        }

        return null;
    }

    /// <summary>The last entry at or below <paramref name="relativeOffset"/> of an index in its file format; null when none.</summary>
    public static OffsetIndexEntry? Floor(ReadOnlySpan<byte> bytes, long relativeOffset)
    {
        int lo = 0, hi = (bytes.Length / EntrySize) - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ReadEntry(bytes, mid).RelativeOffset <= relativeOffset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? null : ReadEntry(bytes, found);
    }
}
