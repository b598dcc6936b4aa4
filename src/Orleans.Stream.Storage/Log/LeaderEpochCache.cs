using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// Kafka's leader-epoch cache (KIP-101), file <c>leader-epoch-checkpoint</c>: for every leader epoch that wrote to the
/// log, the offset of its first batch, ordered by epoch and offset. It answers "where did epoch E end here?", so a
/// follower cuts exactly its divergent tail instead of trusting the high watermark.
/// <list type="bullet">
/// <item>Only the log's writer changes it, and every change is on disk before the batch bytes it describes are
/// written: the file may run ahead of the log (a torn tail, which open trims) but never lags it.</item>
/// <item>Readers take the published array; a change publishes a new one (epochs change rarely).</item>
/// <item>A missing or damaged file is rebuilt from the batch headers of every segment.</item>
/// </list>
/// Layout (big-endian): version int32 = 1 | count int32 | count × { epoch int32 | startOffset int64 } | crc32c uint32.
/// </summary>
internal sealed class LeaderEpochCache
{
    public const string FileName = "leader-epoch-checkpoint";
    private const int Version = 1;
    private const int PrefixSize = 8;
    private const int EntrySize = 12;
    private const int CrcSize = 4;

    private readonly string _path;
    private EpochEntry[] _entries;

    private LeaderEpochCache(string directory, EpochEntry[] entries)
    {
        _path = Path.Combine(directory, FileName);
        _entries = entries;
    }

    /// <summary>The entries as of the call, oldest first.</summary>
    public IReadOnlyList<EpochEntry> Entries => Volatile.Read(ref _entries);

    /// <summary>The newest epoch, or -1 (<see cref="NoPartitionLeaderEpoch"/>) when the cache is empty.</summary>
    public int LatestEpoch
    {
        get
        {
            EpochEntry[] entries = Volatile.Read(ref _entries);
            return entries.Length == 0 ? NoPartitionLeaderEpoch : entries[^1].Epoch;
        }
    }

    /// <summary>
    /// Open (segments recovered, nothing published yet): loads the file and trims it to the log's offsets, or rebuilds
    /// it from the batch headers when it is missing or damaged. <paramref name="rebuilt"/> is true when a log holding
    /// batches had to be read; an empty log gets no file (next time there is nothing to read either).
    /// </summary>
    public static LeaderEpochCache Open(string directory, IReadOnlyList<LogSegment> segments, out bool rebuilt)
    {
        long logStart = segments[0].BaseOffset;
        long logEnd = segments[^1].NextOffset;
        EpochEntry[]? stored = TryRead(directory);
        rebuilt = stored is null && logEnd > logStart;
        var cache = new LeaderEpochCache(directory, stored ?? Rebuild(segments));
        if (rebuilt)
        {
            cache.Replace(cache._entries);
        }

        // A torn tail or a crash between a truncation or retention pass and its cache update leaves entries outside the log.
        cache.TruncateFromEnd(logEnd);
        cache.TruncateFromStart(logStart);
        return cache;
    }

    /// <summary>The file's entries, or null when it is missing or damaged (size, version, CRC, order).</summary>
    public static EpochEntry[]? TryRead(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        if (bytes.Length < PrefixSize + CrcSize
            || BinaryPrimitives.ReadInt32BigEndian(bytes) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(bytes[^CrcSize..]) != Crc32C.Compute(bytes[..^CrcSize]))
        {
            return null;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(bytes[4..]);
        if (count < 0 || bytes.Length != PrefixSize + ((long)count * EntrySize) + CrcSize)
        {
            return null;
        }

        var entries = new EpochEntry[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = bytes[(PrefixSize + (i * EntrySize))..];
            entries[i] = new EpochEntry(BinaryPrimitives.ReadInt32BigEndian(entry), BinaryPrimitives.ReadInt64BigEndian(entry[4..]));
            bool ordered = i == 0
                ? entries[i].Epoch >= 0 && entries[i].StartOffset >= 0
                : entries[i].Epoch > entries[i - 1].Epoch && entries[i].StartOffset > entries[i - 1].StartOffset;
            if (!ordered)
            {
                return null;
            }
        }

        return entries;
    }

    /// <summary>
    /// Kafka's OffsetsForLeaderEpoch as of <paramref name="logEnd"/>: the newest cached epoch ≤ <paramref name="epoch"/>
    /// and where it ends (the next epoch's start, or <paramref name="logEnd"/> for the newest);
    /// <see cref="EpochEndOffset.Undefined"/> if none is ≤ it.
    /// </summary>
    public EpochEndOffset EndOffsetFor(int epoch, long logEnd)
    {
        EpochEntry[] entries = Volatile.Read(ref _entries);

        // Epochs starting past the log end were added after the caller read it (the writer records them first).
        // A backward scan: epochs are few, and followers ask about recent ones.
        int count = entries.Length;
        while (count > 0 && entries[count - 1].StartOffset > logEnd)
        {
            count--;
        }

        int found = count - 1;
        while (found >= 0 && entries[found].Epoch > epoch)
        {
            found--;
        }

        if (found < 0)
        {
            return EpochEndOffset.Undefined;
        }

        return new EpochEndOffset(entries[found].Epoch, found + 1 < count ? entries[found + 1].StartOffset : logEnd);
    }

    /// <summary>Writer only: epoch <paramref name="epoch"/> (newer than <see cref="LatestEpoch"/>) starts at <paramref name="startOffset"/>.</summary>
    public void Assign(int epoch, long startOffset)
    {
        EpochEntry[] current = _entries;
        var next = new EpochEntry[current.Length + 1];
        current.CopyTo(next, 0);
        next[^1] = new EpochEntry(epoch, startOffset);
        Replace(next);
    }

    /// <summary>Writer only, after a truncation: drops the epochs starting at or past the new log end.</summary>
    public void TruncateFromEnd(long logEnd)
    {
        EpochEntry[] current = _entries;
        int keep = current.Length;
        while (keep > 0 && current[keep - 1].StartOffset >= logEnd)
        {
            keep--;
        }

        if (keep < current.Length)
        {
            Replace(current[..keep]);
        }
    }

    /// <summary>
    /// Writer only, after retention moved the log start: drops the epochs that ended before it, and the one it falls
    /// in now starts there (Kafka's truncateFromStart).
    /// </summary>
    public void TruncateFromStart(long logStart)
    {
        EpochEntry[] current = _entries;
        int first = 0;
        while (first + 1 < current.Length && current[first + 1].StartOffset <= logStart)
        {
            first++;
        }

        if (current.Length == 0 || (first == 0 && current[0].StartOffset >= logStart))
        {
            return;
        }

        EpochEntry[] next = current[first..];
        next[0] = next[0] with { StartOffset = Math.Max(next[0].StartOffset, logStart) };
        Replace(next);
    }

    /// <summary>The entries a header walk finds: each batch whose epoch is newer than every one before it.</summary>
    private static EpochEntry[] Rebuild(IReadOnlyList<LogSegment> segments)
    {
        var entries = new List<EpochEntry>();
        foreach (LogSegment segment in segments)
        {
            segment.VisitHeaders(entries, static (entries, header) =>
            {
                int latest = entries.Count == 0 ? NoPartitionLeaderEpoch : entries[^1].Epoch;
                if (header.PartitionLeaderEpoch > latest)
                {
                    entries.Add(new EpochEntry(header.PartitionLeaderEpoch, header.BaseOffset));
                }
            });
        }

        return [.. entries];
    }

    /// <summary>Persists <paramref name="entries"/> (atomically and durably), then publishes them.</summary>
    private void Replace(EpochEntry[] entries)
    {
        byte[] bytes = new byte[PrefixSize + (entries.Length * EntrySize) + CrcSize];
        Span<byte> span = bytes;
        BinaryPrimitives.WriteInt32BigEndian(span, Version);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            Span<byte> entry = span[(PrefixSize + (i * EntrySize))..];
            BinaryPrimitives.WriteInt32BigEndian(entry, entries[i].Epoch);
            BinaryPrimitives.WriteInt64BigEndian(entry[4..], entries[i].StartOffset);
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[^CrcSize..], Crc32C.Compute(span[..^CrcSize]));
        DurableFile.WriteAtomically(_path, bytes);
        Volatile.Write(ref _entries, entries);
    }
}
