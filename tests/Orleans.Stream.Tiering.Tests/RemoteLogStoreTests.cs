using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Tiering.Tests;

/// <summary>The remote tier's blob store and manifest, against a real Azurite.</summary>
public sealed class RemoteLogStoreTests : IAsyncLifetime
{
    private static readonly TopicPartition Partition = new("orders", 3);
    private static readonly Guid TopicId = Guid.NewGuid();
    private readonly TempDirectory _files = new();
    private readonly List<PartitionLog> _logs = [];
    private readonly List<TierableSegment> _segments = [];
    private Azurite _azurite = null!;
    private RemoteLogStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        _store = new RemoteLogStore(new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient("tier-" + Guid.NewGuid().ToString("N")[..8]));
        await _store.CreateIfMissingAsync();
    }

    public async Task DisposeAsync()
    {
        _segments.ForEach(segment => segment.Dispose());
        foreach (PartitionLog log in _logs)
        {
            await log.DisposeAsync();
        }

        await _azurite.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task An_uploaded_segment_is_recorded_and_reads_back_byte_for_byte_whole_and_by_range()
    {
        (TierableSegment upload, byte[] log) = await SegmentAsync(baseOffset: 0, lastOffset: 999, logBytes: 9 << 20); // several 4 MiB blocks
        RemoteManifest manifest = await _store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4);

        RemoteSegment recorded = Assert.Single(manifest.Segments);
        Assert.Equal((0L, 999L, (long)log.Length), (recorded.BaseOffset, recorded.LastOffset, recorded.SizeInBytes));
        Assert.Equal([new EpochEntry(3, 0), new EpochEntry(4, 500)], recorded.Epochs);
        Assert.Equal(1000, manifest.EndOffset);
        Assert.Same(recorded, manifest.Find(500));
        Assert.Null(manifest.Find(1000));

        (RemoteManifest read, _) = await _store.ReadManifestAsync(Partition, TopicId);
        Assert.Equal(recorded, Assert.Single(read.Segments) with { Epochs = recorded.Epochs }); // records compare lists by reference
        Assert.Equal(log, await _store.ReadWholeLogAsync(Partition, read.Segments[0]));

        var range = new byte[5 << 20]; // crosses a 4 MiB transfer boundary
        Assert.Equal(range.Length, await _store.ReadLogAsync(Partition, read.Segments[0], 3 << 20, range));
        Assert.Equal(log.AsSpan(3 << 20, range.Length).ToArray(), range);
        var tail = new byte[1 << 20];
        Assert.Equal(1000, await _store.ReadLogAsync(Partition, read.Segments[0], log.Length - 1000, tail)); // fewer at the end
    }

    [Fact]
    public async Task Concurrent_writers_never_lose_each_others_entries_and_a_retried_upload_is_recorded_once()
    {
        var segments = Enumerable.Range(0, 8).Select(i => new RemoteSegment(i * 100, (i * 100) + 99, i, 10, [], 0, DateTimeOffset.UtcNow)).ToArray();
        await Task.WhenAll(segments.Select(segment => Task.Run(async () =>
        {
            // Each writer waits (by retrying) until its predecessor is in, racing the others for the manifest's ETag.
            while (true)
            {
                RemoteManifest after = await _store.UpdateManifestAsync(Partition, TopicId, m => m.EndOffset == segment.BaseOffset ? m.With(segment) : m);
                if (after.Segments.Any(s => s.BaseOffset == segment.BaseOffset))
                {
                    return;
                }

                await Task.Delay(5);
            }
        })));

        (RemoteManifest manifest, _) = await _store.ReadManifestAsync(Partition, TopicId);
        Assert.Equal(segments.Select(s => s.BaseOffset), manifest.Segments.Select(s => s.BaseOffset));

        // An old and a new leader both uploading the same segment: it is recorded once.
        (TierableSegment upload, _) = await SegmentAsync(baseOffset: 800, lastOffset: 899, logBytes: 1000);
        await Task.WhenAll(_store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4), _store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4));
        (manifest, _) = await _store.ReadManifestAsync(Partition, TopicId);
        Assert.Equal(9, manifest.Segments.Count);

        // A gap or an overlap is refused: it would serve wrong offsets.
        Assert.Throws<InvalidOperationException>(() => manifest.With(new RemoteSegment(1000, 1099, 0, 1, [], 0, DateTimeOffset.UtcNow)));
        Assert.Throws<InvalidOperationException>(() => manifest.With(new RemoteSegment(850, 950, 0, 1, [], 0, DateTimeOffset.UtcNow)));
    }

    [Fact]
    public async Task A_leftover_blob_is_replaced_by_the_current_leader_but_a_deposed_leader_never_replaces_a_recorded_one()
    {
        // A crash left a log blob at segment 0's name (another extent, say); the leader of epoch 4 replaces it.
        await _store.Container.GetBlobClient("orders/3/00000000000000000000.log").UploadAsync(BinaryData.FromBytes(new byte[777]));
        (TierableSegment upload, byte[] log) = await SegmentAsync(baseOffset: 0, lastOffset: 99, logBytes: 20_000);
        RemoteManifest manifest = await _store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4);
        Assert.Equal(log, await _store.ReadWholeLogAsync(Partition, Assert.Single(manifest.Segments)));

        // A new leader (epoch 5) claims the manifest; the deposed one (epoch 4), whose segment 100 ends elsewhere,
        // finds the new leader's blob there and stops, leaving it as it is.
        (TierableSegment ours, byte[] ourLog) = await SegmentAsync(baseOffset: 100, lastOffset: 199, logBytes: 20_000);
        (TierableSegment theirs, _) = await SegmentAsync(baseOffset: 100, lastOffset: 149, logBytes: 9_000);
        await _store.UpdateManifestAsync(Partition, TopicId, m => m.FencedFor(5));
        manifest = await _store.UploadSegmentAsync(Partition, TopicId, ours, leaderEpoch: 5);
        await Assert.ThrowsAsync<RemoteTierFencedException>(() => _store.UploadSegmentAsync(Partition, TopicId, theirs, leaderEpoch: 4));
        Assert.Equal(ourLog, await _store.ReadWholeLogAsync(Partition, manifest.Segments[1]));
        Assert.Equal([0L, 100L], (await _store.ReadManifestAsync(Partition, TopicId)).Manifest.Segments.Select(s => s.BaseOffset));

        // The same leader uploading a recorded segment again finds it recorded and changes nothing.
        RemoteManifest again = await _store.UploadSegmentAsync(Partition, TopicId, ours, leaderEpoch: 5);
        Assert.Equal(manifest.Segments.Select(s => (s.BaseOffset, s.LastOffset)), again.Segments.Select(s => (s.BaseOffset, s.LastOffset)));
        Assert.Equal(ourLog, await _store.ReadWholeLogAsync(Partition, again.Segments[1]));
    }

    [Fact]
    public async Task Blobs_of_an_interrupted_upload_are_invisible_and_the_orphan_pass_removes_only_them()
    {
        (TierableSegment recorded, _) = await SegmentAsync(baseOffset: 0, lastOffset: 49, logBytes: 2000);
        await _store.UploadSegmentAsync(Partition, TopicId, recorded, leaderEpoch: 4);
        // A crash after the log blob of the next segment went up, before its manifest entry: an orphan.
        await _store.Container.GetBlobClient("orders/3/00000000000000000050.log").UploadAsync(BinaryData.FromBytes(new byte[100]));

        (RemoteManifest manifest, _) = await _store.ReadManifestAsync(Partition, TopicId);
        Assert.Null(manifest.Find(50));
        Assert.Equal(0, await _store.DeleteOrphansAsync(Partition, TopicId, minAge: TimeSpan.FromMinutes(5))); // might still be uploading
        Assert.Equal(1, await _store.DeleteOrphansAsync(Partition, TopicId, minAge: TimeSpan.Zero));

        var left = new List<string>();
        await foreach (Azure.Storage.Blobs.Models.BlobItem blob in _store.Container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "orders/3/" }))
        {
            left.Add(blob.Name);
        }

        Assert.Equal(["orders/3/00000000000000000000.index", "orders/3/00000000000000000000.log", "orders/3/00000000000000000000.timeindex", "orders/3/manifest.json"], left.Order());
    }

    [Fact]
    public async Task A_corrupt_or_missing_remote_segment_is_a_clear_error_never_wrong_data()
    {
        (TierableSegment upload, byte[] log) = await SegmentAsync(baseOffset: 0, lastOffset: 9, logBytes: 4096);
        RemoteSegment segment = (await _store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4)).Segments[0];
        log[1234] ^= 0x40;
        await _store.Container.GetBlobClient("orders/3/00000000000000000000.log").UploadAsync(BinaryData.FromBytes(log), overwrite: true);
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => _store.ReadWholeLogAsync(Partition, segment));
        Assert.Contains("CRC-32C", corrupt.Message);

        await _store.Container.GetBlobClient("orders/3/00000000000000000000.log").DeleteAsync();
        var missing = await Assert.ThrowsAsync<InvalidDataException>(() => _store.ReadLogAsync(Partition, segment, 0, new byte[10]));
        Assert.Contains("missing", missing.Message);
    }

    [Fact]
    public async Task Retention_drops_old_segments_from_the_manifest_and_a_recreated_topic_starts_afresh()
    {
        for (int i = 0; i < 3; i++)
        {
            (TierableSegment upload, _) = await SegmentAsync(baseOffset: i * 10, lastOffset: (i * 10) + 9, logBytes: 500);
            await _store.UploadSegmentAsync(Partition, TopicId, upload, leaderEpoch: 4);
        }

        IReadOnlyList<RemoteSegment> removed = [];
        RemoteManifest trimmed = await _store.UpdateManifestAsync(Partition, TopicId, m => m.WithoutBefore(20, out removed));
        Assert.Equal([0L, 10L], removed.Select(s => s.BaseOffset));
        Assert.Equal(20, trimmed.LogStartOffset);
        Assert.Null(trimmed.Find(15));
        foreach (RemoteSegment segment in removed)
        {
            await _store.DeleteSegmentAsync(Partition, segment.BaseOffset);
        }

        Assert.False(await _store.Container.GetBlobClient("orders/3/00000000000000000000.log").ExistsAsync());
        (RemoteManifest other, _) = await _store.ReadManifestAsync(Partition, Guid.NewGuid());
        Assert.Empty(other.Segments); // same name, another topic: none of the old one's segments
    }

    /// <summary>
    /// A real sealed segment of offsets <paramref name="baseOffset"/> to <paramref name="lastOffset"/> (one record per
    /// batch, leader epoch 3 for the first half and 4 for the rest) of about <paramref name="logBytes"/> bytes, and its bytes.
    /// </summary>
    private async Task<(TierableSegment Upload, byte[] Log)> SegmentAsync(long baseOffset, long lastOffset, int logBytes)
    {
        var log = PartitionLog.Open(Path.Combine(_files.Path, Guid.NewGuid().ToString("N")));
        _logs.Add(log);
        if (baseOffset > 0)
        {
            await log.ResetToAsync(baseOffset);
        }

        long count = lastOffset - baseOffset + 1;
        byte[] value = RandomNumberGenerator.GetBytes((int)Math.Max(1, (logBytes / count) - 80));
        using var builder = new RecordBatchBuilder();
        for (long offset = baseOffset; offset <= lastOffset; offset++)
        {
            builder.Reset();
            builder.Append(1_700_000_000_000 + offset, key: null, value);
            await log.AppendAsync(builder.Build(), partitionLeaderEpoch: offset < baseOffset + (count / 2) ? 3 : 4);
        }

        await log.RollAsync();
        TierableSegment segment = log.OpenTierable(baseOffset) ?? throw new InvalidOperationException("The rolled segment is not tierable.");
        _segments.Add(segment);
        var bytes = new byte[segment.SizeInBytes];
        Assert.Equal(bytes.Length, await segment.ReadAsync(0, bytes));
        return (segment, bytes);
    }
}