using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// One segment: <c>{baseOffset:D20}.log</c> with its sparse <c>.index</c> and <c>.timeindex</c>.
/// The log's single writer appends, seals and truncates it; readers use it concurrently through the published
/// <see cref="Size"/>/<see cref="NextOffset"/> (always at a batch boundary) and the lock-free indexes.
/// A segment is reference-counted so a reader holding it keeps its file open while retention deletes it.
/// </summary>
internal sealed class LogSegment
{
    private const int ScanBufferSize = 1024 * 1024;

    // Header walks skip batch bodies: a buffer this size holds many small batches' headers, or one big batch's.
    private const int HeaderScanBufferSize = 64 * 1024;

    private readonly string _directory;
    private readonly object _indexLoadLock = new();
    private OffsetIndex? _offsetIndex;
    private TimeIndex? _timeIndex;
    private long _size;
    private long _nextOffset;
    private long _maxTimestamp = NoTimestamp;
    private long _offsetOfMaxTimestamp = -1;
    private long _bytesSinceIndexEntry;
    private long _flushedSize;
    private bool _indexesDurable;
    private int _refCount = 1;
    private int _deleteOnRelease;

    private readonly int _indexIntervalBytes;
    private long _pageCacheStart; // the flusher's (truncation resets it): bytes below this were given back to the kernel's page cache

    private LogSegment(string directory, long baseOffset, SafeFileHandle handle, int indexIntervalBytes)
    {
        _directory = directory;
        _indexIntervalBytes = indexIntervalBytes;
        BaseOffset = baseOffset;
        Handle = handle;
        _nextOffset = baseOffset;
    }

    public long BaseOffset { get; }

    public SafeFileHandle Handle { get; }

    public string LogPath => SegmentFiles.LogPath(_directory, BaseOffset);

    public string IndexPath => SegmentFiles.IndexPath(_directory, BaseOffset);

    public string TimeIndexPath => SegmentFiles.TimeIndexPath(_directory, BaseOffset);

    /// <summary>Bytes of whole batches readers may see.</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>One past the last offset in this segment (its base offset when empty).</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    public bool IsSealed { get; private set; }

    /// <summary>Log-clock time (ms) the segment's age is measured from, for <c>segment.ms</c>.</summary>
    public long RollBaseMs { get; private set; }

    public static LogSegment Create(string directory, long baseOffset, long nowMs, int indexIntervalBytes)
    {
        var handle = File.OpenHandle(SegmentFiles.LogPath(directory, baseOffset), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);

        // The new file's directory entry must be durable before anything acknowledged lives in it.
        DirectorySync.Fsync(directory);
        return new LogSegment(directory, baseOffset, handle, indexIntervalBytes)
        {
            _offsetIndex = new OffsetIndex(),
            _timeIndex = new TimeIndex(),
            RollBaseMs = nowMs,
        };
    }

    public static LogSegment OpenExisting(string directory, long baseOffset, int indexIntervalBytes) =>
        new(directory, baseOffset, File.OpenHandle(SegmentFiles.LogPath(directory, baseOffset), FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete), indexIntervalBytes);

    /// <summary>
    /// Recovery of a segment that may hold unflushed or torn data: reads every batch from the start, checks length,
    /// magic, CRC and offset order, and rebuilds the in-memory indexes. Returns the bytes that are valid; the caller
    /// truncates the rest. <paramref name="problem"/> says why the scan stopped early.
    /// </summary>
    public long Recover(long nowMs, out string? problem)
    {
        long fileLength = RandomAccess.GetLength(Handle);
        long valid = ScanAndIndex(fileLength, out problem);
        Volatile.Write(ref _flushedSize, 0);
        RollBaseMs = FirstBatchTimestamp() is long ts and >= 0 ? ts : nowMs;
        return valid;
    }

    /// <summary>
    /// Opens a sealed segment known to be flushed (below the recovery checkpoint) without reading it: the size is the
    /// file length, the end offset is the next segment's base, the max timestamp is the time index's last entry.
    /// A missing or malformed time index is rebuilt from the log. Offset indexes load lazily on first lookup.
    /// </summary>
    public void OpenSealed(long nextOffset)
    {
        long fileLength = RandomAccess.GetLength(Handle);
        _size = fileLength;
        _flushedSize = fileLength;
        _indexesDurable = true;
        _nextOffset = nextOffset;
        IsSealed = true;
        TimeIndexEntry? last = TryReadLastTimeIndexEntry();
        if (last is null || !File.Exists(IndexPath) || new FileInfo(IndexPath).Length % OffsetIndex.EntrySize != 0)
        {
            RebuildSealedIndexes();
            return;
        }

        _maxTimestamp = last.Value.Timestamp;
        _offsetOfMaxTimestamp = BaseOffset + last.Value.RelativeOffset;
    }

    /// <summary>
    /// Writer only: appends whole, validated batches (offsets already stamped) at the end of the file and indexes them.
    /// Readers see the bytes only once <see cref="Size"/> moves past them.
    /// </summary>
    public void Append(ReadOnlySpan<byte> batches, long nowMs)
    {
        long position = _size;
        if (position == 0)
        {
            // segment.ms counts from the first append, not from when an empty segment was created.
            RollBaseMs = nowMs;
        }

        RandomAccess.Write(Handle, batches, position);
        long lastOffset = IndexBatches(batches, position);
        Volatile.Write(ref _size, position + batches.Length);
        Volatile.Write(ref _nextOffset, lastOffset + 1);
    }

    /// <summary>Writer only: the segment will take no more appends; its indexes go to disk (fsynced later by the flusher).</summary>
    public void Seal()
    {
        if (IsSealed)
        {
            return;
        }

        TimeIndex timeIndex = _timeIndex!;
        if (_maxTimestamp >= 0)
        {
            timeIndex.MaybeAdd(_maxTimestamp, RelativeOffset(_offsetOfMaxTimestamp));
        }

        _offsetIndex!.WriteTo(IndexPath);
        timeIndex.WriteTo(TimeIndexPath);
        IsSealed = true;
    }

    /// <summary>Writer only: cuts the file at <paramref name="position"/> (a batch boundary) and rebuilds its state from what is left.</summary>
    public void TruncateTo(long position)
    {
        RandomAccess.SetLength(Handle, position);
        File.Delete(IndexPath);
        File.Delete(TimeIndexPath);
        IsSealed = false;
        _indexesDurable = false;
        Volatile.Write(ref _flushedSize, Math.Min(Volatile.Read(ref _flushedSize), position));
        _pageCacheStart = 0; // the scan below reads the kept bytes back in, and the rest is written again: the next flush drops both
        ScanAndIndex(position, out _);
    }

    /// <summary>
    /// Finds the first batch whose last offset is ≥ <paramref name="offset"/>, scanning from the sparse index floor,
    /// no further than <paramref name="limit"/>. Returns its position and header, or -1 if the segment has none.
    /// </summary>
    public long FindBatch(long offset, long limit, out RecordBatchHeader header)
    {
        long position = GetOffsetIndex().FloorPosition(Math.Max(0, offset - BaseOffset));
        using var cursor = new BatchCursor(Handle, limit, 16 * 1024);
        while (true)
        {
            if (!NextHeader(cursor, position, out ReadOnlySpan<byte> batch))
            {
                header = default;
                return -1;
            }

            header = RecordBatchHeader.Read(batch);
            if (header.LastOffset >= offset)
            {
                return position;
            }

            position += batch.Length;
        }
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with the header of every batch in the segment, reading headers only (recovery
    /// rebuilding per-batch state such as the producer table). A damaged header throws <see cref="CorruptRecordException"/>.
    /// </summary>
    public void VisitHeaders<TState>(TState state, Action<TState, RecordBatchHeader> visit)
    {
        using var cursor = new BatchCursor(Handle, Size, HeaderScanBufferSize);
        long position = 0;
        while (true)
        {
            BatchStatus status = cursor.TryReadHeader(position, out ReadOnlySpan<byte> header, out long size, out string? problem);
            if (status == BatchStatus.End)
            {
                return;
            }

            if (status != BatchStatus.Ok)
            {
                throw new CorruptRecordException($"Segment {LogPath} is damaged: {problem}.");
            }

            visit(state, RecordBatchHeader.Read(header));
            position += size;
        }
    }

    /// <summary>
    /// The first record with timestamp ≥ <paramref name="timestamp"/> and offset below <paramref name="upperOffset"/>,
    /// or null (<see cref="RecordBatch.FindTimestamp"/> says how compressed batches answer).
    /// </summary>
    public TimestampOffset? FindByTimestamp(long timestamp, long limit, long upperOffset)
    {
        int relativeOffset = GetTimeIndex().FloorRelativeOffset(timestamp);
        long position = GetOffsetIndex().FloorPosition(relativeOffset);
        using var cursor = new BatchCursor(Handle, limit, 16 * 1024);
        while (NextHeader(cursor, position, out ReadOnlySpan<byte> batch))
        {
            var header = RecordBatchHeader.Read(batch);
            if (header.BaseOffset >= upperOffset)
            {
                return null;
            }

            if (header.MaxTimestamp >= timestamp)
            {
                if (RecordBatchHeader.ComputeCrc(batch) != header.Crc)
                {
                    throw new CorruptRecordException($"Segment {LogPath} is damaged: batch at position {position} fails its CRC check.");
                }

                if (new RecordBatch(batch).FindTimestamp(timestamp) is { } found)
                {
                    return found;
                }
            }

            position += batch.Length;
        }

        return null;
    }

    /// <summary>
    /// Flusher only: fsyncs new bytes, and the index files once sealed; then, when <paramref name="pageCacheTailBytes"/>
    /// is not negative, gives the kernel back the cached pages of flushed bytes more than that far from the end.
    /// </summary>
    public void Flush(long pageCacheTailBytes)
    {
        long size = Volatile.Read(ref _size);
        if (size > Volatile.Read(ref _flushedSize))
        {
            RandomAccess.FlushToDisk(Handle);
            Volatile.Write(ref _flushedSize, size);
            if (pageCacheTailBytes >= 0)
            {
                _pageCacheStart = PageCache.Drop(Handle, _pageCacheStart, size - pageCacheTailBytes);
            }
        }

        if (IsSealed && !_indexesDurable)
        {
            IndexFiles.Fsync(IndexPath);
            IndexFiles.Fsync(TimeIndexPath);
            _indexesDurable = true;
        }
    }

    public bool NeedsFlush => Volatile.Read(ref _size) > Volatile.Read(ref _flushedSize) || (IsSealed && !_indexesDurable);

    /// <summary>Takes a reference for a reader; false if the segment was already deleted and closed.</summary>
    public bool TryAcquire()
    {
        int count = Volatile.Read(ref _refCount);
        while (count > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refCount, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            Handle.Dispose();
            _offsetIndex?.Release();
            _timeIndex?.Release();
            if (Volatile.Read(ref _deleteOnRelease) != 0)
            {
                File.Delete(LogPath);
                File.Delete(IndexPath);
                File.Delete(TimeIndexPath);
            }
        }
    }

    /// <summary>Drops the log's reference; the files go when the last reader lets go.</summary>
    public void Delete()
    {
        Volatile.Write(ref _deleteOnRelease, 1);
        Release();
    }

    /// <summary>Writes the active segment's indexes at a clean shutdown so the next open can skip rescanning it.</summary>
    public void WriteIndexesForCleanShutdown()
    {
        _offsetIndex!.WriteTo(IndexPath);
        TimeIndex snapshot = _timeIndex!;
        snapshot.WriteTo(TimeIndexPath);
        IndexFiles.Fsync(IndexPath);
        IndexFiles.Fsync(TimeIndexPath);
    }

    /// <summary>
    /// Opens the last segment after a clean shutdown: loads its indexes and scans only from the last indexed batch to
    /// the end of the file. False when its index files are unusable (the caller then runs full recovery).
    /// </summary>
    public bool TryOpenCleanActive(long nowMs)
    {
        long fileLength = RandomAccess.GetLength(Handle);
        OffsetIndex? offsetIndex = OffsetIndex.TryLoad(IndexPath, Math.Max(1, fileLength));
        TimeIndex? timeIndex = TimeIndex.TryLoad(TimeIndexPath, int.MaxValue);
        if (offsetIndex is null || timeIndex is null)
        {
            return false;
        }

        long position = offsetIndex.FloorPosition(int.MaxValue);
        using var cursor = new BatchCursor(Handle, fileLength, ScanBufferSize);
        long nextOffset = BaseOffset;
        long maxTimestamp = timeIndex.Last?.Timestamp ?? NoTimestamp;
        long offsetOfMax = timeIndex.Last is { } lastEntry ? BaseOffset + lastEntry.RelativeOffset : -1;
        while (true)
        {
            BatchStatus status = cursor.TryRead(position, verifyCrc: true, out ReadOnlySpan<byte> batch, out _);
            if (status == BatchStatus.End)
            {
                break;
            }

            if (status != BatchStatus.Ok)
            {
                return false;
            }

            RecordBatchHeader header = RecordBatchHeader.Read(batch);
            nextOffset = header.LastOffset + 1;
            if (header.MaxTimestamp > maxTimestamp)
            {
                maxTimestamp = header.MaxTimestamp;
                offsetOfMax = header.LastOffset;
            }

            position += batch.Length;
        }

        _offsetIndex = offsetIndex;
        _timeIndex = timeIndex;
        _size = fileLength;
        _flushedSize = fileLength;
        _nextOffset = fileLength == 0 ? BaseOffset : nextOffset;
        _maxTimestamp = maxTimestamp;
        _offsetOfMaxTimestamp = offsetOfMax;
        _bytesSinceIndexEntry = fileLength - offsetIndex.FloorPosition(int.MaxValue);
        RollBaseMs = FirstBatchTimestamp() is long ts and >= 0 ? ts : nowMs;
        File.Delete(IndexPath);
        File.Delete(TimeIndexPath);
        return true;
    }

    private OffsetIndex GetOffsetIndex()
    {
        OffsetIndex? index = Volatile.Read(ref _offsetIndex);
        if (index is null)
        {
            LoadSealedIndexes();
            index = Volatile.Read(ref _offsetIndex)!;
        }

        return index;
    }

    private TimeIndex GetTimeIndex()
    {
        TimeIndex? index = Volatile.Read(ref _timeIndex);
        if (index is null)
        {
            LoadSealedIndexes();
            index = Volatile.Read(ref _timeIndex)!;
        }

        return index;
    }

    /// <summary>First use of a sealed segment's indexes: load and sanity-check them, rebuilding from the log if damaged.</summary>
    private void LoadSealedIndexes()
    {
        lock (_indexLoadLock)
        {
            if (_offsetIndex is not null && _timeIndex is not null)
            {
                return;
            }

            OffsetIndex? offsetIndex = OffsetIndex.TryLoad(IndexPath, Size);
            TimeIndex? timeIndex = TimeIndex.TryLoad(TimeIndexPath, NextOffset - BaseOffset);
            if (offsetIndex is null || timeIndex is null)
            {
                RebuildSealedIndexes();
                return;
            }

            Volatile.Write(ref _timeIndex, timeIndex);
            Volatile.Write(ref _offsetIndex, offsetIndex);
        }
    }

    private void RebuildSealedIndexes()
    {
        lock (_indexLoadLock)
        {
            // Sealed data below the recovery point is never truncated here: a corrupt batch stays where it is and
            // is reported to whoever reads it.
            ScanAndIndex(Size, out _);
            _timeIndex!.MaybeAdd(_maxTimestamp, RelativeOffset(Math.Max(BaseOffset, _offsetOfMaxTimestamp)));
            _offsetIndex!.WriteTo(IndexPath);
            _timeIndex.WriteTo(TimeIndexPath);
            _indexesDurable = false;
        }
    }

    /// <summary>Reads batches from 0 to <paramref name="limit"/> with CRC checks and rebuilds indexes and stats.</summary>
    private long ScanAndIndex(long limit, out string? problem)
    {
        var offsetIndex = new OffsetIndex();
        var timeIndex = new TimeIndex();
        _offsetIndex = offsetIndex;
        _timeIndex = timeIndex;
        _maxTimestamp = NoTimestamp;
        _offsetOfMaxTimestamp = -1;
        _bytesSinceIndexEntry = 0;
        problem = null;

        long position = 0;
        long nextOffset = BaseOffset;
        using var cursor = new BatchCursor(Handle, limit, ScanBufferSize);
        while (true)
        {
            BatchStatus status = cursor.TryRead(position, verifyCrc: true, out ReadOnlySpan<byte> batch, out problem);
            if (status == BatchStatus.End)
            {
                break;
            }

            if (status != BatchStatus.Ok)
            {
                break;
            }

            long baseOffset = BinaryPrimitives.ReadInt64BigEndian(batch);
            if (baseOffset < nextOffset || (position == 0 && baseOffset < BaseOffset))
            {
                problem = $"batch at position {position} has base offset {baseOffset}, below the expected {nextOffset}";
                break;
            }

            nextOffset = IndexBatches(batch, position) + 1;
            position += batch.Length;
        }

        Volatile.Write(ref _size, position);
        Volatile.Write(ref _nextOffset, nextOffset);
        return position;
    }

    /// <summary>Updates indexes and stats for batches just placed at <paramref name="position"/>; returns the last offset.</summary>
    private long IndexBatches(ReadOnlySpan<byte> batches, long position)
    {
        OffsetIndex offsetIndex = _offsetIndex!;
        TimeIndex timeIndex = _timeIndex!;
        long lastOffset = -1;
        int p = 0;
        while (p < batches.Length)
        {
            ReadOnlySpan<byte> batch = batches[p..];
            long baseOffset = BinaryPrimitives.ReadInt64BigEndian(batch);
            int size = BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]) + LogOverhead;
            lastOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]);
            long maxTimestamp = BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]);
            if (_bytesSinceIndexEntry > _indexIntervalBytes)
            {
                offsetIndex.Add(RelativeOffset(baseOffset), checked((int)(position + p)));
                if (_maxTimestamp >= 0)
                {
                    timeIndex.MaybeAdd(_maxTimestamp, RelativeOffset(_offsetOfMaxTimestamp));
                }

                _bytesSinceIndexEntry = 0;
            }

            if (maxTimestamp > _maxTimestamp)
            {
                Volatile.Write(ref _maxTimestamp, maxTimestamp);
                _offsetOfMaxTimestamp = lastOffset;
            }

            _bytesSinceIndexEntry += size;
            p += size;
        }

        return lastOffset;
    }

    /// <summary>Header-level read for lookups (no CRC: nothing found this way is served without the read path's check).</summary>
    private bool NextHeader(BatchCursor cursor, long position, out ReadOnlySpan<byte> batch)
    {
        BatchStatus status = cursor.TryRead(position, verifyCrc: false, out batch, out string? problem);
        return status switch
        {
            BatchStatus.Ok => true,
            BatchStatus.End => false,
            _ => throw new CorruptRecordException($"Segment {LogPath} is damaged: {problem}."),
        };
    }

    private long? FirstBatchTimestamp()
    {
        if (Size < HeaderSize)
        {
            return null;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        return RandomAccess.Read(Handle, header, 0) == HeaderSize ? BinaryPrimitives.ReadInt64BigEndian(header[MaxTimestampOffset..]) : null;
    }

    private TimeIndexEntry? TryReadLastTimeIndexEntry()
    {
        var info = new FileInfo(TimeIndexPath);
        if (!info.Exists || info.Length == 0 || info.Length % TimeIndex.EntrySize != 0)
        {
            return null;
        }

        using var handle = File.OpenHandle(TimeIndexPath, FileMode.Open, FileAccess.Read);
        Span<byte> entry = stackalloc byte[TimeIndex.EntrySize];
        if (RandomAccess.Read(handle, entry, info.Length - TimeIndex.EntrySize) != TimeIndex.EntrySize)
        {
            return null;
        }

        return new TimeIndexEntry(BinaryPrimitives.ReadInt64BigEndian(entry), BinaryPrimitives.ReadInt32BigEndian(entry[8..]));
    }

    private int RelativeOffset(long offset) => checked((int)(offset - BaseOffset));
}
