using System.Buffers;
using Azure;
using Azure.Storage.Blobs;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;
using ReadState = (Orleans.Stream.Tiering.RemoteLogReader Reader, Orleans.Stream.TopicPartition Partition, Orleans.Stream.Tiering.RemoteSegment Segment);

namespace Orleans.Stream.Tiering;

/// <summary>
/// Reads record batches from remote segments as a local log read does: whole batches from the one holding the
/// offset, up to a byte budget but at least one batch, byte for byte what the local segment held. The segment's
/// offset index finds where to start; the log is fetched in aligned chunks through a bounded LRU cache shared by all
/// callers, and a read that ends in one chunk starts the download of the next, so a sequential consumer rarely waits.
/// Nothing is served unchecked: framing against the segment's manifest entry, every returned batch's CRC-32C, and
/// the index against the batches it points at. Safe for concurrent use.
/// </summary>
public sealed class RemoteLogReader
{
    private static readonly Func<RemoteChunkKey, ReadState, Task<byte[]>> DownloadChunk =
        static (key, state) => state.Reader.DownloadChunkAsync(state.Partition, state.Segment, key.Chunk);

    private static readonly Func<RemoteChunkKey, ReadState, Task<byte[]>> DownloadIndex =
        static (_, state) => state.Reader.DownloadIndexAsync(state.Partition, state.Segment);

    private static readonly Func<RemoteChunkKey, ReadState, Task<byte[]>> DownloadTimeIndex =
        static (_, state) => state.Reader.DownloadTimeIndexAsync(state.Partition, state.Segment);

    private readonly RemoteLogStore _store;
    private readonly RemoteChunkCache _cache;
    private readonly int _chunkSize;
    private long _chunksDownloaded;
    private long _indexesDownloaded;

    public RemoteLogReader(RemoteLogStore store, RemoteReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _chunkSize = options.ChunkSize;
        _cache = new RemoteChunkCache(options.CacheBytes);
    }

    /// <summary>Log chunks downloaded from the store (reads and prefetches).</summary>
    public long ChunksDownloaded => Interlocked.Read(ref _chunksDownloaded);

    /// <summary>Offset index blobs downloaded from the store.</summary>
    public long IndexesDownloaded => Interlocked.Read(ref _indexesDownloaded);

    /// <summary>Chunk and index look-ups served without a download of their own (cached, or joining one in flight).</summary>
    public long CacheHits => _cache.Hits;

    /// <summary>Bytes of chunks and indexes the cache holds now.</summary>
    public long CachedBytes => _cache.CachedBytes;

    /// <summary>
    /// Whole batches of <paramref name="segment"/> starting with the one that holds <paramref name="offset"/>, up to
    /// <paramref name="maxBytes"/> but at least that one batch, never past the segment's end; empty when the offset
    /// is past the segment's last batch. Corrupt or missing remote data throws <see cref="InvalidDataException"/>;
    /// the store's own failures (unreachable, throttled) propagate as the Azure SDK reports them.
    /// </summary>
    public async ValueTask<RemoteReadResult> ReadAsync(TopicPartition partition, RemoteSegment segment, long offset, int maxBytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(offset, segment.BaseOffset);
        if (offset > segment.LastOffset || segment.SizeInBytes == 0)
        {
            return RemoteReadResult.Empty(offset);
        }

        ReadState state = (this, partition, segment);
        byte[] index = await _cache.GetAsync(RemoteChunkKey.For(partition, segment, RemoteChunkKey.OffsetIndex), state, DownloadIndex, ct).ConfigureAwait(false);
        // The index's last entry at or below the offset (none: the first batches of a segment are not indexed).
        OffsetIndexEntry? floor = OffsetIndex.Floor(index, offset - segment.BaseOffset);
        long floorOffset = floor is { } entry ? segment.BaseOffset + entry.RelativeOffset : -1;
        long position = floor?.Position ?? 0;
        bool atIndexEntry = floor is not null;

        // Walk batch headers from the index entry to the batch holding the offset. Only the chunk under the cursor is
        // looked up; a header across a chunk boundary is put together in a small buffer.
        long size = segment.SizeInBytes;
        long previousLast = segment.BaseOffset - 1;
        long chunkNumber = -1;
        byte[] chunk = [];
        byte[]? straddling = null;
        RecordBatchHeader first;
        while (true)
        {
            if (position == size)
            {
                return RemoteReadResult.Empty(offset);
            }

            if (size - position < HeaderSize)
            {
                throw Corrupt(partition, segment, offset, position, $"only {size - position} bytes remain, less than a batch header");
            }

            long number = position / _chunkSize;
            int within = (int)(position % _chunkSize);
            if (number != chunkNumber)
            {
                chunk = await ChunkAsync(state, number, ct).ConfigureAwait(false);
                chunkNumber = number;
            }

            if (within + HeaderSize <= chunk.Length)
            {
                first = RecordBatchHeader.Read(chunk.AsSpan(within, HeaderSize));
            }
            else
            {
                straddling ??= new byte[HeaderSize];
                int head = chunk.Length - within;
                chunk.AsSpan(within).CopyTo(straddling);
                chunk = await ChunkAsync(state, ++chunkNumber, ct).ConfigureAwait(false);
                chunk.AsSpan(0, HeaderSize - head).CopyTo(straddling.AsSpan(head));
                first = RecordBatchHeader.Read(straddling);
            }

            if (Framing(first, segment, size - position, previousLast) is { } problem)
            {
                throw Corrupt(partition, segment, offset, position, problem);
            }

            if (atIndexEntry && first.BaseOffset != floorOffset)
            {
                // A damaged index that passed the shape check would otherwise make the walk skip or repeat offsets.
                throw new InvalidDataException(
                    $"Remote offset index {Blob(partition, segment, SegmentFiles.IndexExtension)} is damaged: reading offset {offset}, it points offset " +
                    $"{floorOffset} at log position {position}, where the batch at base offset {first.BaseOffset} starts.");
            }

            atIndexEntry = false;

            if (first.LastOffset >= offset)
            {
                break;
            }

            previousLast = first.LastOffset;
            position += first.TotalSize;
        }

        int want = (int)Math.Min(size - position, Math.Max(maxBytes, first.TotalSize));
        byte[]? buffer = ArrayPool<byte>.Shared.Rent(want);
        try
        {
            await CopyAsync(state, position, buffer.AsMemory(0, want), (chunkNumber, chunk), ct).ConfigureAwait(false);
            int length = CheckBatches(buffer.AsSpan(0, want), partition, segment, offset, position, previousLast, out long nextOffset);
            PrefetchAfter(state, position + length);
            var result = new RemoteReadResult(buffer, length, nextOffset);
            buffer = null;
            return result;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The first record of <paramref name="segment"/> with timestamp ≥ <paramref name="timestamp"/> (Kafka's ListOffsets
    /// by time), or null when every record in it is older. The time index says where to start; batches are then read
    /// and checked as <see cref="ReadAsync"/> reads them, one chunk's worth at a time.
    /// </summary>
    public async ValueTask<TimestampOffset?> FindOffsetByTimestampAsync(TopicPartition partition, RemoteSegment segment, long timestamp, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (segment.MaxTimestamp < timestamp)
        {
            return null;
        }

        byte[] times = await _cache.GetAsync(RemoteChunkKey.For(partition, segment, RemoteChunkKey.TimeIndex), (this, partition, segment), DownloadTimeIndex, ct).ConfigureAwait(false);
        long offset = segment.BaseOffset + TimeIndex.FloorRelativeOffset(times, timestamp);
        while (offset <= segment.LastOffset)
        {
            using RemoteReadResult read = await ReadAsync(partition, segment, offset, _chunkSize, ct).ConfigureAwait(false);
            if (read.IsEmpty)
            {
                return null;
            }

            ReadOnlySpan<byte> batches = read.Batches.Span;
            while (!batches.IsEmpty)
            {
                var batch = new RecordBatch(batches[..RecordBatchHeader.Read(batches).TotalSize]);
                if (batch.FindTimestamp(timestamp) is { } found && found.Offset >= offset)
                {
                    return found;
                }

                batches = batches[batch.Bytes.Length..];
            }

            offset = read.NextOffset;
        }

        return null;
    }

    /// <summary>
    /// What is wrong with a batch header read at a position with <paramref name="remaining"/> bytes left in the
    /// segment, after a batch ending at <paramref name="previousLast"/>; null when nothing is.
    /// </summary>
    private static string? Framing(in RecordBatchHeader header, RemoteSegment segment, long remaining, long previousLast)
    {
        if (header.Magic != CurrentMagic)
        {
            return $"the batch has magic {header.Magic}, expected {CurrentMagic}";
        }

        if (header.BatchLength < HeaderSize - LogOverhead || header.TotalSize > remaining)
        {
            return $"the batch declares batchLength {header.BatchLength}, but {remaining} bytes remain in the segment";
        }

        if (header.LastOffsetDelta < 0 || header.BaseOffset <= previousLast || header.BaseOffset < segment.BaseOffset || header.LastOffset > segment.LastOffset)
        {
            return $"the batch holds offsets [{header.BaseOffset}, {header.LastOffset}], which do not follow {previousLast} " +
                $"inside the segment's [{segment.BaseOffset}, {segment.LastOffset}]";
        }

        return null;
    }

    /// <summary>
    /// Length of the leading whole batches in <paramref name="data"/> (read from log position <paramref name="start"/>):
    /// the rest is a batch cut by the byte budget. Any batch whose header is there must be framed right, and any
    /// batch kept must match its CRC-32C; otherwise the segment is corrupt and nothing is returned.
    /// </summary>
    private static int CheckBatches(ReadOnlySpan<byte> data, TopicPartition partition, RemoteSegment segment, long offset, long start, long previousLast, out long nextOffset)
    {
        int position = 0;
        while (data.Length - position >= HeaderSize)
        {
            var header = RecordBatchHeader.Read(data[position..]);
            if (Framing(header, segment, segment.SizeInBytes - start - position, previousLast) is { } problem)
            {
                throw Corrupt(partition, segment, offset, start + position, problem);
            }

            if (header.TotalSize > data.Length - position)
            {
                break;
            }

            uint computed = RecordBatchHeader.ComputeCrc(data.Slice(position, header.TotalSize));
            if (computed != header.Crc)
            {
                throw Corrupt(partition, segment, offset, start + position,
                    $"the batch at offset {header.BaseOffset} fails its CRC-32C check (stored 0x{header.Crc:x8}, computed 0x{computed:x8})");
            }

            previousLast = header.LastOffset;
            position += header.TotalSize;
        }

        nextOffset = previousLast + 1;
        return position;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from the log at <paramref name="position"/>, fetching all its chunks at
    /// once; <paramref name="held"/> is a chunk the caller already has.
    /// </summary>
    private async ValueTask CopyAsync(ReadState state, long position, Memory<byte> destination, (long Number, byte[] Bytes) held, CancellationToken ct)
    {
        long firstChunk = position / _chunkSize;
        long lastChunk = (position + destination.Length - 1) / _chunkSize;
        Task<byte[]>[]? later = null;
        if (lastChunk > firstChunk)
        {
            later = new Task<byte[]>[lastChunk - firstChunk];
            for (int i = 0; i < later.Length; i++)
            {
                later[i] = ChunkAsync(state, firstChunk + 1 + i, ct);
            }
        }

        int copied = 0;
        for (long number = firstChunk; number <= lastChunk; number++)
        {
            byte[] chunk = number == held.Number ? held.Bytes
                : number == firstChunk ? await ChunkAsync(state, number, ct).ConfigureAwait(false)
                : await later![number - firstChunk - 1].ConfigureAwait(false);
            int within = (int)((position + copied) - (number * _chunkSize));
            int count = Math.Min(chunk.Length - within, destination.Length - copied);
            chunk.AsMemory(within, count).CopyTo(destination[copied..]);
            copied += count;
        }
    }

    /// <summary>After a read that ended (exclusive) at <paramref name="end"/>, starts fetching the chunk after the one it ended in.</summary>
    private void PrefetchAfter(ReadState state, long end)
    {
        long next = ((end - 1) / _chunkSize) + 1;
        if (next * _chunkSize < state.Segment.SizeInBytes)
        {
            _cache.Prefetch(RemoteChunkKey.For(state.Partition, state.Segment, next), state, DownloadChunk);
        }
    }

    private Task<byte[]> ChunkAsync(ReadState state, long number, CancellationToken ct) =>
        _cache.GetAsync(RemoteChunkKey.For(state.Partition, state.Segment, number), state, DownloadChunk, ct);

    /// <summary>One chunk of the log (shorter at the segment's end), MD5-checked in transit by the store.</summary>
    private async Task<byte[]> DownloadChunkAsync(TopicPartition partition, RemoteSegment segment, long number)
    {
        long start = number * _chunkSize;
        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)Math.Min(_chunkSize, segment.SizeInBytes - start));
        await _store.ReadLogAsync(partition, segment, start, bytes, CancellationToken.None).ConfigureAwait(false);
        Interlocked.Increment(ref _chunksDownloaded);
        return bytes;
    }

    /// <summary>
    /// The segment's offset index, checked for shape (<see cref="OffsetIndex.Check"/>). An entry is trusted only once the
    /// batch it points at has its offset (see the walk).
    /// </summary>
    private async Task<byte[]> DownloadIndexAsync(TopicPartition partition, RemoteSegment segment)
    {
        byte[] index = await DownloadCheckedAsync(partition, segment, SegmentFiles.IndexExtension, "offset index",
            bytes => OffsetIndex.Check(bytes, segment.SizeInBytes, segment.LastOffset - segment.BaseOffset)).ConfigureAwait(false);
        Interlocked.Increment(ref _indexesDownloaded);
        return index;
    }

    /// <summary>The segment's time index, checked for shape (<see cref="TimeIndex.Check"/>).</summary>
    private Task<byte[]> DownloadTimeIndexAsync(TopicPartition partition, RemoteSegment segment) =>
        DownloadCheckedAsync(partition, segment, SegmentFiles.TimeIndexExtension, "time index",
            bytes => TimeIndex.Check(bytes, segment.LastOffset - segment.BaseOffset));

    /// <summary>One of a segment's small blobs, whole; missing or failing <paramref name="check"/> is an <see cref="InvalidDataException"/>.</summary>
    private async Task<byte[]> DownloadCheckedAsync(TopicPartition partition, RemoteSegment segment, string extension, string what, Func<byte[], string?> check)
    {
        BlobClient blob = _store.Container.GetBlobClient(RemotePaths.Segment(partition, segment.BaseOffset, extension));
        byte[] bytes;
        try
        {
            bytes = (await blob.DownloadContentAsync(CancellationToken.None).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException error) when (error.Status == 404)
        {
            throw new InvalidDataException($"Remote {what} {blob.Name} is recorded in the manifest but missing from the store.", error);
        }

        return check(bytes) is { } problem ? throw new InvalidDataException($"Remote {what} {blob.Name} is damaged: {problem}.") : bytes;
    }

    private static InvalidDataException Corrupt(TopicPartition partition, RemoteSegment segment, long offset, long position, string problem) =>
        new($"Remote segment {Blob(partition, segment, SegmentFiles.LogExtension)} is corrupt (reading offset {offset}, log position {position}): {problem}.");

    private static string Blob(TopicPartition partition, RemoteSegment segment, string extension) =>
        RemotePaths.Segment(partition, segment.BaseOffset, extension);
}
