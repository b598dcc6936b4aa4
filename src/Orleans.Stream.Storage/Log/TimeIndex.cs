using System.Buffers.Binary;

namespace Orleans.Stream.Storage.Log;

/// <summary>One time index entry: the largest timestamp seen so far and the relative offset of the record carrying it.</summary>
internal readonly record struct TimeIndexEntry(long Timestamp, int RelativeOffset);

/// <summary>
/// The time index of one segment (<c>.timeindex</c>): entries with strictly increasing timestamps, added alongside
/// offset index entries and once more when the segment is sealed, so the last entry is the segment's max timestamp.
/// On disk: 12-byte big-endian (timestamp, relative offset) pairs.
/// </summary>
internal sealed class TimeIndex
{
    public const int EntrySize = 12;

    private readonly AppendOnlyArray<TimeIndexEntry> _entries;

    public TimeIndex() => _entries = new AppendOnlyArray<TimeIndexEntry>();

    private TimeIndex(TimeIndexEntry[] entries)
    {
        _entries = new AppendOnlyArray<TimeIndexEntry>(entries.Length);
        foreach (TimeIndexEntry entry in entries)
        {
            _entries.Add(entry);
        }
    }

    public int Count => _entries.Count;

    /// <summary>The last entry, or null when empty.</summary>
    public TimeIndexEntry? Last
    {
        get
        {
            AppendOnlyArray<TimeIndexEntry>.View entries = _entries.Snapshot();
            return entries.Count == 0 ? null : entries[entries.Count - 1];
        }
    }

    /// <summary>Returns the memory to the pool; only once no reader can use this index.</summary>
    public void Release() => _entries.Release();

    /// <summary>Adds an entry if it moves the timestamp forward (writer only).</summary>
    public void MaybeAdd(long timestamp, int relativeOffset)
    {
        TimeIndexEntry? last = Last;
        if (last is null || (timestamp > last.Value.Timestamp && relativeOffset >= last.Value.RelativeOffset))
        {
            _entries.Add(new TimeIndexEntry(timestamp, relativeOffset));
        }
    }

    /// <summary>The relative offset to start scanning from for the first record with timestamp ≥ <paramref name="timestamp"/>.</summary>
    public int FloorRelativeOffset(long timestamp)
    {
        AppendOnlyArray<TimeIndexEntry>.View entries = _entries.Snapshot();
        int lo = 0, hi = entries.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries[mid].Timestamp < timestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Entries hold the max timestamp so far: every record before the floor entry's offset is older than the target.
        return found < 0 ? 0 : entries[found].RelativeOffset;
    }

    public void TruncateToRelativeOffset(long relativeOffset)
    {
        AppendOnlyArray<TimeIndexEntry>.View entries = _entries.Snapshot();
        int keep = entries.Count;
        while (keep > 0 && entries[keep - 1].RelativeOffset >= relativeOffset)
        {
            keep--;
        }

        _entries.Truncate(keep);
    }

    public void WriteTo(string path) => IndexFiles.Write(path, ToBytes());

    /// <summary>The index in its file format (also what the remote tier stores beside a segment).</summary>
    public byte[] ToBytes()
    {
        AppendOnlyArray<TimeIndexEntry>.View entries = _entries.Snapshot();
        byte[] bytes = new byte[entries.Count * EntrySize];
        for (int i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * EntrySize), entries[i].Timestamp);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((i * EntrySize) + 8), entries[i].RelativeOffset);
        }

        return bytes;
    }

    /// <summary>Loads a time index file, or null when missing or failing <see cref="Check"/> (then: rebuild).</summary>
    public static TimeIndex? TryLoad(string path, long maxRelativeOffset)
    {
        byte[]? bytes = IndexFiles.TryRead(path, EntrySize);
        if (bytes is null || Check(bytes, maxRelativeOffset) is not null)
        {
            return null;
        }

        var entries = new TimeIndexEntry[bytes.Length / EntrySize];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadEntry(bytes, i);
        }

        return new TimeIndex(entries);
    }

    /// <summary>Entry <paramref name="index"/> of a time index in its file format.</summary>
    public static TimeIndexEntry ReadEntry(ReadOnlySpan<byte> bytes, int index) => new(
        BinaryPrimitives.ReadInt64BigEndian(bytes[(index * EntrySize)..]),
        BinaryPrimitives.ReadInt32BigEndian(bytes[((index * EntrySize) + 8)..]));

    /// <summary>
    /// What is wrong with a time index in its file format (a local file or a remote blob): whole entries, timestamps
    /// strictly increasing, relative offsets never decreasing and at most <paramref name="maxRelativeOffset"/>. Null when nothing is.
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> bytes, long maxRelativeOffset)
    {
        if (bytes.Length % EntrySize != 0)
        {
            return $"{bytes.Length} bytes are not a whole number of {EntrySize}-byte entries";
        }

        TimeIndexEntry previous = new(long.MinValue, 0);
        for (int i = 0; i < bytes.Length / EntrySize; i++)
        {
            TimeIndexEntry entry = ReadEntry(bytes, i);
            if (entry.Timestamp <= previous.Timestamp || entry.RelativeOffset < previous.RelativeOffset || entry.RelativeOffset > maxRelativeOffset)
            {
                return $"entry {i} (timestamp {entry.Timestamp}, relative offset {entry.RelativeOffset}) does not follow the previous one inside the segment";
            }

            previous = entry;
        }

        return null;
    }

    /// <summary>
    /// Where to start looking for the first record at or after <paramref name="timestamp"/> in a time index in its
    /// file format: the relative offset of its last entry older than the timestamp, or 0 (see the instance method).
    /// </summary>
    public static int FloorRelativeOffset(ReadOnlySpan<byte> bytes, long timestamp)
    {
        int lo = 0, hi = (bytes.Length / EntrySize) - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ReadEntry(bytes, mid).Timestamp < timestamp)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found < 0 ? 0 : ReadEntry(bytes, found).RelativeOffset;
    }
}
