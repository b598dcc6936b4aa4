using System.Buffers.Binary;
using System.IO.Hashing;
using Azure.Storage.Blobs;
using Orleans.Stream.Storage;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Tiering.Tests;

/// <summary>Reading batches from remote segments through the chunk cache, against a real Azurite.</summary>
public sealed class RemoteLogReaderTests : IAsyncLifetime
{
    private const int ChunkSize = 64 << 10;
    private const int IndexInterval = 4 << 10;
    private const long SegmentBase = 1000;
    private static readonly TopicPartition Partition = new("payments", 7);
    private static readonly Guid TopicId = Guid.NewGuid();
    private Azurite _azurite = null!;
    private RemoteLogStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        _store = new RemoteLogStore(new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient("tier-" + Guid.NewGuid().ToString("N")[..8]));
        await _store.CreateIfMissingAsync();
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task A_sequential_scan_returns_the_segment_byte_for_byte_downloading_each_chunk_once_and_a_second_scan_hits_the_cache()
    {
        TestSegment written = await WriteSegmentAsync(seed: 1);
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        int chunks = (int)((written.Log.Length + ChunkSize - 1) / ChunkSize);
        Assert.True(chunks >= 8, $"the segment should span several chunks, not {chunks}");

        Assert.Equal(written.Log, await ScanAsync(reader, written.Segment, maxBytes: 16 << 10));
        Assert.Equal(chunks, reader.ChunksDownloaded);
        Assert.Equal(1, reader.IndexesDownloaded);

        long hits = reader.CacheHits;
        Assert.Equal(written.Log, await ScanAsync(reader, written.Segment, maxBytes: 5000));
        Assert.Equal(chunks, reader.ChunksDownloaded);
        Assert.Equal(1, reader.IndexesDownloaded);
        Assert.True(reader.CacheHits > hits);
        Assert.Equal(written.Log.Length + 8 * written.IndexEntries, reader.CachedBytes);
    }

    [Fact]
    public async Task Reads_start_with_the_batch_holding_the_offset_and_keep_the_byte_budget_as_a_local_read_does()
    {
        TestSegment written = await WriteSegmentAsync(seed: 2);
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });

        // Every batch, from its first, a middle and its last offset, under budgets from one byte to more than a chunk.
        var random = new Random(2);
        foreach (TestBatch batch in written.Batches)
        {
            long offset = random.Next(3) switch { 0 => batch.BaseOffset, 1 => (batch.BaseOffset + batch.LastOffset) / 2, _ => batch.LastOffset };
            int maxBytes = random.Next(4) switch { 0 => 1, 1 => random.Next(1, 8 << 10), 2 => random.Next(8 << 10, 200 << 10), _ => int.MaxValue };
            using RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, offset, maxBytes);
            byte[] expected = Expected(written, offset, maxBytes, out long next);
            Assert.Equal(expected, result.Batches.ToArray());
            Assert.Equal(next, result.NextOffset);
            Assert.True(result.Batches.Length <= Math.Max(maxBytes, batch.Size));
        }

        // A batch larger than a chunk and than the budget comes whole, alone.
        TestBatch big = written.Batches.First(b => b.Size > ChunkSize * 2);
        using (RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, big.BaseOffset + 1, maxBytes: 100))
        {
            Assert.Equal(written.Log.AsSpan(big.Position, big.Size).ToArray(), result.Batches.ToArray());
            Assert.Equal(big.LastOffset + 1, result.NextOffset);
        }

        // A budget of several small batches returns as many whole ones as fit, and no more.
        TestBatch small = written.Batches.First(b => b.Size < 2000 && b.BaseOffset > SegmentBase + 50);
        using (RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, small.BaseOffset, maxBytes: 10_000))
        {
            Assert.InRange(result.Batches.Length, small.Size, 10_000);
            Assert.True(result.NextOffset > small.LastOffset + 1);
            Assert.Equal(Expected(written, small.BaseOffset, 10_000, out _), result.Batches.ToArray());
        }

        // Past the segment's last batch: nothing, and the next offset stays.
        using RemoteReadResult past = await reader.ReadAsync(Partition, written.Segment, written.Segment.LastOffset + 1, maxBytes: 1 << 20);
        Assert.True(past.IsEmpty);
        Assert.Equal(written.Segment.LastOffset + 1, past.NextOffset);
    }

    [Fact]
    public async Task A_read_that_ends_in_a_chunk_starts_downloading_the_next_one()
    {
        TestSegment written = await WriteSegmentAsync(seed: 7);
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        long lastChunk = (written.Log.Length - 1) / ChunkSize;

        // Two batches in consecutive chunks k and k+1 that can each be read from their own chunk alone.
        TestBatch? InChunk(long chunk) => written.Batches.FirstOrDefault(b =>
            b.Position / ChunkSize == chunk && (b.Position + b.Size - 1) / ChunkSize == chunk && IndexFloor(written, b.BaseOffset) / ChunkSize == chunk);
        long k = Enumerable.Range(0, (int)lastChunk - 1).First(c => InChunk(c) is not null && InChunk(c + 1) is not null);

        await ReadOneAsync(InChunk(k)!);
        Assert.Equal(2, await DownloadsSettledAsync(2)); // chunk k, then k+1 without anyone asking for it

        await ReadOneAsync(InChunk(k + 1)!); // served from the prefetched chunk ...
        Assert.Equal(3, await DownloadsSettledAsync(3)); // ... and it ended in k+1, so k+2 follows

        // The segment's last batch: its chunks are fetched, and nothing past the segment's end is.
        TestBatch last = written.Batches[^1];
        await ReadOneAsync(last);
        long walkFrom = IndexFloor(written, last.BaseOffset) / ChunkSize;
        long needed = Enumerable.Range(0, (int)lastChunk + 1).Count(c => (c >= k && c <= k + 2) || c >= walkFrom);
        Assert.Equal(needed, await DownloadsSettledAsync(needed));

        async Task ReadOneAsync(TestBatch batch)
        {
            using RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, batch.BaseOffset, maxBytes: 1);
            Assert.Equal(written.Log.AsSpan(batch.Position, batch.Size).ToArray(), result.Batches.ToArray());
        }

        // Waits for the expected count (prefetches finish in the background), then a little longer for any extra.
        async Task<long> DownloadsSettledAsync(long expected)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(30);
            while (reader.ChunksDownloaded < expected && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            await Task.Delay(100);
            return reader.ChunksDownloaded;
        }
    }

    [Fact]
    public async Task A_cache_smaller_than_the_segment_evicts_and_still_reads_the_right_bytes()
    {
        TestSegment written = await WriteSegmentAsync(seed: 3);
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize, CacheBytes = 3L * ChunkSize });
        int chunks = (int)((written.Log.Length + ChunkSize - 1) / ChunkSize);

        Assert.Equal(written.Log, await ScanAsync(reader, written.Segment, maxBytes: 16 << 10));
        long afterFirst = reader.ChunksDownloaded;
        Assert.InRange(afterFirst, chunks, 3 * chunks); // an evicted chunk may be fetched again, but not over and over
        Assert.Equal(written.Log, await ScanAsync(reader, written.Segment, maxBytes: 100 << 10));
        Assert.True(reader.ChunksDownloaded > afterFirst, "the first chunks were evicted, so a second scan downloads again");
        Assert.InRange(reader.CachedBytes, 1, 3L * ChunkSize);
    }

    [Fact]
    public async Task Concurrent_readers_of_one_chunk_share_one_download()
    {
        TestSegment written = await WriteSegmentAsync(seed: 4);
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });

        // A batch in the last chunk whose index entry is in that chunk too: reading it needs that chunk only, and
        // there is no next chunk to prefetch.
        long lastChunk = (written.Log.Length - 1) / ChunkSize;
        TestBatch target = written.Batches.Last(b => b.Position / ChunkSize == lastChunk && IndexFloor(written, b.BaseOffset) / ChunkSize == lastChunk);

        var start = new TaskCompletionSource();
        Task<byte[]>[] readers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            using RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, target.BaseOffset, maxBytes: 1);
            return result.Batches.ToArray();
        })).ToArray();
        start.SetResult();

        foreach (byte[] batches in await Task.WhenAll(readers))
        {
            Assert.Equal(written.Log.AsSpan(target.Position, target.Size).ToArray(), batches);
        }

        Assert.Equal(1, reader.ChunksDownloaded);
        Assert.Equal(1, reader.IndexesDownloaded);
        Assert.Equal(62, reader.CacheHits); // 31 for the index and 31 for the chunk
    }

    [Fact]
    public async Task A_corrupt_byte_in_the_log_or_a_damaged_index_is_an_InvalidDataException_never_bytes()
    {
        TestSegment written = await WriteSegmentAsync(seed: 5);
        string logBlob = RemotePaths.Segment(Partition, SegmentBase, ".log");
        TestBatch victim = written.Batches[written.Batches.Count / 2];
        byte[] corrupt = (byte[])written.Log.Clone();
        corrupt[victim.Position + victim.Size - 3] ^= 0x10; // inside the last record's value
        await _store.Container.GetBlobClient(logBlob).UploadAsync(BinaryData.FromBytes(corrupt), overwrite: true);

        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        var atBatch = await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, victim.LastOffset, 1)).Dispose());
        Assert.Contains(logBlob, atBatch.Message);
        Assert.Contains("CRC-32C", atBatch.Message);
        Assert.Contains(victim.LastOffset.ToString(), atBatch.Message);

        // A read whose budget covers the bad batch fails as a whole; one that stops before it is served.
        TestBatch before = written.Batches[(written.Batches.Count / 2) - 1];
        await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, before.BaseOffset, victim.Position + victim.Size)).Dispose());
        using (RemoteReadResult served = await reader.ReadAsync(Partition, written.Segment, before.BaseOffset, before.Size))
        {
            Assert.Equal(written.Log.AsSpan(before.Position, before.Size).ToArray(), served.Batches.ToArray());
        }

        // A batch length pointing past the segment's end.
        corrupt = (byte[])written.Log.Clone();
        BinaryPrimitives.WriteInt32BigEndian(corrupt.AsSpan(victim.Position + 8), written.Log.Length);
        await _store.Container.GetBlobClient(logBlob).UploadAsync(BinaryData.FromBytes(corrupt), overwrite: true);
        reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        var framing = await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, victim.BaseOffset, 1)).Dispose());
        Assert.Contains("batchLength", framing.Message);

        // An index entry moved to another batch's position: the walk would skip offsets, so it is refused.
        await _store.Container.GetBlobClient(logBlob).UploadAsync(BinaryData.FromBytes(written.Log), overwrite: true);
        int at = written.Batches.FindIndex(written.Batches.Count / 2, b => b.Indexed && !written.Batches[written.Batches.IndexOf(b) + 1].Indexed);
        TestBatch pointed = written.Batches[at], next = written.Batches[at + 1];
        BlobClient indexBlob = _store.Container.GetBlobClient(RemotePaths.Segment(Partition, SegmentBase, ".index"));
        byte[] index = (await indexBlob.DownloadContentAsync()).Value.Content.ToArray();
        int entry = written.Batches.Take(at).Count(b => b.Indexed);
        Assert.Equal(pointed.Position, BinaryPrimitives.ReadInt32BigEndian(index.AsSpan((entry * 8) + 4)));
        BinaryPrimitives.WriteInt32BigEndian(index.AsSpan((entry * 8) + 4), next.Position);
        await indexBlob.UploadAsync(BinaryData.FromBytes(index), overwrite: true);
        reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        long offset = pointed.BaseOffset;
        var damaged = await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, offset, 1)).Dispose());
        Assert.Contains(".index", damaged.Message);
    }

    [Fact]
    public async Task A_missing_blob_is_an_InvalidDataException_and_the_failure_is_not_cached()
    {
        TestSegment written = await WriteSegmentAsync(seed: 6);
        BlobClient log = _store.Container.GetBlobClient(RemotePaths.Segment(Partition, SegmentBase, ".log"));
        BlobClient index = _store.Container.GetBlobClient(RemotePaths.Segment(Partition, SegmentBase, ".index"));
        var reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });

        await log.DeleteAsync();
        var missingLog = await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, SegmentBase, 1000)).Dispose());
        Assert.Contains("missing", missingLog.Message);

        // Back in place, the same reader reads it: the failed download was not kept.
        await log.UploadAsync(BinaryData.FromBytes(written.Log));
        using (RemoteReadResult result = await reader.ReadAsync(Partition, written.Segment, SegmentBase, 1000))
        {
            Assert.Equal(Expected(written, SegmentBase, 1000, out _), result.Batches.ToArray());
        }

        await index.DeleteAsync();
        reader = new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = ChunkSize });
        var missingIndex = await Assert.ThrowsAsync<InvalidDataException>(async () => (await reader.ReadAsync(Partition, written.Segment, SegmentBase, 1000)).Dispose());
        Assert.Contains(".index", missingIndex.Message);
        Assert.Contains("missing", missingIndex.Message);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<InvalidOperationException>(() => new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = 100 }));
        Assert.Throws<InvalidOperationException>(() => new RemoteLogReader(_store, new RemoteReadOptions { ChunkSize = 1 << 20, CacheBytes = 1000 }));
    }

    /// <summary>Reads the whole segment from its base, each read starting at the previous one's next offset.</summary>
    private static async Task<byte[]> ScanAsync(RemoteLogReader reader, RemoteSegment segment, int maxBytes)
    {
        var all = new MemoryStream();
        long offset = segment.BaseOffset;
        while (offset <= segment.LastOffset)
        {
            using RemoteReadResult result = await reader.ReadAsync(Partition, segment, offset, maxBytes);
            Assert.False(result.IsEmpty);
            all.Write(result.Batches.Span);
            offset = result.NextOffset;
        }

        return all.ToArray();
    }

    /// <summary>What a local read returns: whole batches from the one holding the offset, within max(budget, first batch).</summary>
    private static byte[] Expected(TestSegment segment, long offset, int maxBytes, out long nextOffset)
    {
        int first = segment.Batches.FindIndex(b => b.LastOffset >= offset);
        long budget = Math.Max(maxBytes, segment.Batches[first].Size);
        int start = segment.Batches[first].Position, end = start;
        nextOffset = offset;
        for (int i = first; i < segment.Batches.Count && segment.Batches[i].Position + segment.Batches[i].Size - start <= budget; i++)
        {
            end = segment.Batches[i].Position + segment.Batches[i].Size;
            nextOffset = segment.Batches[i].LastOffset + 1;
        }

        return segment.Log[start..end];
    }

    /// <summary>The log position a read of <paramref name="offset"/> starts walking from, as the index says.</summary>
    private static int IndexFloor(TestSegment segment, long offset) =>
        segment.Batches.Where(b => b.Indexed && b.BaseOffset <= offset).Select(b => b.Position).DefaultIfEmpty(0).Max();

    /// <summary>
    /// A segment of real batches (many small ones, a few larger than two chunks), its offset index (an entry every
    /// 4 KiB, as the log writes it) and time index, uploaded as the tier lays them out and recorded in the manifest.
    /// </summary>
    private async Task<TestSegment> WriteSegmentAsync(int seed)
    {
        var random = new Random(seed);
        var log = new MemoryStream();
        var index = new MemoryStream();
        var timeIndex = new MemoryStream();
        var batches = new List<TestBatch>();
        long offset = SegmentBase, maxTimestamp = -1, offsetOfMaxTimestamp = 0;
        long bytesSinceIndexEntry = 0;
        int indexEntries = 0;
        using var builder = new RecordBatchBuilder();
        for (int b = 0; b < 260; b++)
        {
            builder.Reset();
            builder.BaseOffset = offset;
            bool big = b is 20 or 90 or 170;
            int records = big ? 4 : random.Next(1, 9);
            for (int r = 0; r < records; r++)
            {
                byte[] value = new byte[big ? 40_000 : random.Next(0, 700)];
                random.NextBytes(value);
                builder.Append(1_700_000_000_000 + (offset * 10) + r, new byte[] { (byte)r }, value);
            }

            byte[] batch = builder.Build().ToArray();
            var header = RecordBatchHeader.Read(batch);
            int position = (int)log.Length;
            bool indexed = bytesSinceIndexEntry > IndexInterval;
            if (indexed)
            {
                WriteIndexEntry(index, (int)(offset - SegmentBase), position);
                indexEntries++;
                if (maxTimestamp >= 0)
                {
                    WriteTimeIndexEntry(timeIndex, maxTimestamp, (int)(offsetOfMaxTimestamp - SegmentBase));
                }

                bytesSinceIndexEntry = 0;
            }

            if (header.MaxTimestamp > maxTimestamp)
            {
                (maxTimestamp, offsetOfMaxTimestamp) = (header.MaxTimestamp, header.LastOffset);
            }

            log.Write(batch);
            batches.Add(new TestBatch(offset, header.LastOffset, position, batch.Length, indexed));
            bytesSinceIndexEntry += batch.Length;
            offset = header.LastOffset + 1;
        }

        WriteTimeIndexEntry(timeIndex, maxTimestamp, (int)(offsetOfMaxTimestamp - SegmentBase));
        byte[] bytes = log.ToArray();
        await UploadAsync(".log", bytes);
        await UploadAsync(".index", index.ToArray());
        await UploadAsync(".timeindex", timeIndex.ToArray());
        var segment = new RemoteSegment(SegmentBase, offset - 1, maxTimestamp, bytes.Length, [], Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, bytes), DateTimeOffset.UtcNow);
        RemoteManifest manifest = await _store.UpdateManifestAsync(Partition, TopicId, m => m.With(segment));
        return new TestSegment(Assert.Single(manifest.Segments), bytes, batches, indexEntries);

        Task UploadAsync(string extension, byte[] content) =>
            _store.Container.GetBlobClient(RemotePaths.Segment(Partition, SegmentBase, extension)).UploadAsync(BinaryData.FromBytes(content), overwrite: true);
    }

    private static void WriteIndexEntry(MemoryStream index, int relativeOffset, int position)
    {
        Span<byte> entry = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(entry, relativeOffset);
        BinaryPrimitives.WriteInt32BigEndian(entry[4..], position);
        index.Write(entry);
    }

    private static void WriteTimeIndexEntry(MemoryStream timeIndex, long timestamp, int relativeOffset)
    {
        Span<byte> entry = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(entry, timestamp);
        BinaryPrimitives.WriteInt32BigEndian(entry[8..], relativeOffset);
        timeIndex.Write(entry);
    }

    private sealed record TestBatch(long BaseOffset, long LastOffset, int Position, int Size, bool Indexed);

    private sealed record TestSegment(RemoteSegment Segment, byte[] Log, List<TestBatch> Batches, int IndexEntries);
}
