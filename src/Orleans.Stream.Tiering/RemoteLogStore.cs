using System.Buffers;
using System.IO.Hashing;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Orleans.Stream.Storage;
using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Tiering;

/// <summary>
/// The remote tier of every partition in one blob container. Uploading a segment copies its three files (block
/// uploads in parallel, each block checked with MD5 by the service), then records it in the partition's manifest
/// with a conditional write (ETag), so concurrent writers (an old and a new leader during a failover) never lose
/// each other's entries and a segment is visible only once all its blobs are there. Reads are ranged and checked:
/// by MD5 in transit, and (for whole segments) against the CRC-32C the manifest recorded.
/// </summary>
public sealed class RemoteLogStore(BlobContainerClient container)
{
    private const int TransferSize = 4 << 20;
    private const int MaxConcurrency = 4;
    private const int MaxManifestAttempts = 20;
    private const int MaxCreateAttempts = 5;
    private static BlobRequestConditions CreateOnly => new() { IfNoneMatch = ETag.All };
    private static readonly UploadTransferValidationOptions Md5Upload = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };

    public BlobContainerClient Container { get; } = container;

    public Task CreateIfMissingAsync(CancellationToken cancellationToken = default) =>
        Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    /// <summary>
    /// The partition's manifest for topic <paramref name="topicId"/> and its ETag: an empty manifest when there is none
    /// yet (no ETag) or when the one stored belongs to an older topic of the same name (its ETag, so a write replaces it).
    /// </summary>
    public async Task<(RemoteManifest Manifest, ETag? ETag)> ReadManifestAsync(TopicPartition partition, Guid topicId, CancellationToken cancellationToken = default)
    {
        (RemoteManifest? stored, ETag? etag) = await ReadStoredManifestAsync(partition, cancellationToken).ConfigureAwait(false);
        return (stored is not null && stored.TopicId == topicId ? stored : RemoteManifest.Empty(topicId), etag);
    }

    /// <summary>The manifest stored for the partition, whichever topic id it names, and its ETag; nulls when there is none.</summary>
    private async Task<(RemoteManifest? Manifest, ETag? ETag)> ReadStoredManifestAsync(TopicPartition partition, CancellationToken cancellationToken)
    {
        try
        {
            Response<BlobDownloadResult> download = await Container.GetBlobClient(RemotePaths.Manifest(partition))
                .DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (RemoteManifest.FromJson(download.Value.Content.ToMemory().Span), download.Value.Details.ETag);
        }
        catch (RequestFailedException error) when (error.Status == 404)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// Uploads a sealed segment's stretch (its log and two indexes) and then records it in the manifest; returns the
    /// manifest that includes it. The uploading leader's epoch fences the manifest: once a newer leader has written
    /// it, recording fails with <see cref="RemoteTierFencedException"/>.
    /// <para>
    /// Blobs are only ever created, never overwritten: a blob already at a name is either recorded (then this upload
    /// stops: the segment is remote) or left by an interrupted upload, which is deleted and replaced only after a fresh
    /// read of the manifest shows this leader's epoch is still the newest. A leader that claims the manifest
    /// (<see cref="RemoteManifest.FencedFor"/>) before it uploads anything can therefore never have its recorded blobs
    /// replaced by a deposed one, whose segment boundaries may differ.
    /// </para>
    /// </summary>
    public async Task<RemoteManifest> UploadSegmentAsync(TopicPartition partition, Guid topicId, TierableSegment segment, int leaderEpoch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var target = new UploadTarget(partition, topicId, segment.BaseOffset, leaderEpoch);
        uint crc = 0;
        RemoteManifest? recorded =
            await CreateBlobAsync(target, SegmentFiles.LogExtension, async name => crc = await UploadLogAsync(name, segment, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false) ??
            await CreateBlobAsync(target, SegmentFiles.IndexExtension, name => UploadSmallAsync(name, segment.OffsetIndex, cancellationToken), cancellationToken).ConfigureAwait(false) ??
            await CreateBlobAsync(target, SegmentFiles.TimeIndexExtension, name => UploadSmallAsync(name, segment.TimeIndex, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (recorded is not null)
        {
            return recorded;
        }

        var remote = new RemoteSegment(segment.BaseOffset, segment.LastOffset, segment.MaxTimestamp, segment.SizeInBytes, segment.Epochs, crc, DateTimeOffset.UtcNow);
        return await UpdateManifestAsync(partition, topicId, manifest => manifest.FencedFor(leaderEpoch).With(remote), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="create"/> (an upload that fails if the blob exists) for one of a segment's blobs. Returns
    /// null once the blob is created, or the manifest if it shows the segment already recorded. A leftover blob is
    /// deleted (if unchanged since seen) and the upload tried again, unless a newer leader has claimed the manifest.
    /// </summary>
    private async Task<RemoteManifest?> CreateBlobAsync(UploadTarget target, string extension, Func<string, Task> create, CancellationToken cancellationToken)
    {
        string name = RemotePaths.Segment(target.Partition, target.BaseOffset, extension);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await create(name).ConfigureAwait(false);
                return null;
            }
            catch (RequestFailedException error) when (error.Status is 409 or 412 && attempt < MaxCreateAttempts)
            {
                // Seen first, then the manifest: a newer leader claims the manifest before it creates any blob, so if
                // this blob is one of its, the manifest read below already names its epoch.
                BlobClient blob = Container.GetBlobClient(name);
                ETag seen;
                try
                {
                    seen = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag;
                }
                catch (RequestFailedException gone) when (gone.Status == 404)
                {
                    continue;
                }

                (RemoteManifest manifest, _) = await ReadManifestAsync(target.Partition, target.TopicId, cancellationToken).ConfigureAwait(false);
                manifest = manifest.FencedFor(target.LeaderEpoch);
                foreach (RemoteSegment segment in manifest.Segments)
                {
                    if (segment.BaseOffset == target.BaseOffset)
                    {
                        return manifest;
                    }
                }

                try
                {
                    await blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = seen }, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException changed) when (changed.Status == 412)
                {
                    // Someone replaced it meanwhile: look again.
                }
            }
        }
    }

    /// <summary>Which segment an upload is for, and by which leader.</summary>
    private readonly record struct UploadTarget(TopicPartition Partition, Guid TopicId, long BaseOffset, int LeaderEpoch);

    /// <summary>
    /// Applies <paramref name="change"/> to the manifest and writes it only if nobody wrote it meanwhile (ETag); on a
    /// conflict it reads the newer manifest and applies the change again.
    /// </summary>
    public async Task<RemoteManifest> UpdateManifestAsync(TopicPartition partition, Guid topicId, Func<RemoteManifest, RemoteManifest> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        BlobClient blob = Container.GetBlobClient(RemotePaths.Manifest(partition));
        for (int attempt = 1; ; attempt++)
        {
            (RemoteManifest current, ETag? etag) = await ReadManifestAsync(partition, topicId, cancellationToken).ConfigureAwait(false);
            RemoteManifest updated = change(current);
            if (ReferenceEquals(updated, current))
            {
                return current;
            }

            var conditions = etag is { } known ? new BlobRequestConditions { IfMatch = known } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                await blob.UploadAsync(BinaryData.FromBytes(updated.ToJson()), new BlobUploadOptions { Conditions = conditions }, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (RequestFailedException error) when (error.Status is 409 or 412 && attempt < MaxManifestAttempts)
            {
                // Another writer got there first: apply the change to what it wrote.
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with a remote segment's log bytes from <paramref name="position"/>; returns
    /// how many there were (fewer at the end of the segment).
    /// </summary>
    public async Task<int> ReadLogAsync(TopicPartition partition, RemoteSegment segment, long position, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        int length = (int)Math.Min(destination.Length, Math.Max(0, segment.SizeInBytes - position));
        if (length == 0)
        {
            return 0;
        }

        BlobClient blob = Container.GetBlobClient(RemotePaths.Segment(partition, segment.BaseOffset, SegmentFiles.LogExtension));
        int read = 0;
        try
        {
            while (read < length)
            {
                int chunk = Math.Min(length - read, TransferSize);
                Response<BlobDownloadStreamingResult> response = await blob.DownloadStreamingAsync(new BlobDownloadOptions
                {
                    Range = new HttpRange(position + read, chunk),
                    TransferValidation = new DownloadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, AutoValidateChecksum = true },
                }, cancellationToken).ConfigureAwait(false);
                await using System.IO.Stream content = response.Value.Content;
                int got = 0;
                while (got < chunk)
                {
                    int n = await content.ReadAsync(destination.Slice(read + got, chunk - got), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    got += n;
                }

                if (got < chunk)
                {
                    throw new InvalidDataException($"Remote segment {blob.Name} ended after {position + read + got} bytes; the manifest says {segment.SizeInBytes}.");
                }

                read += got;
            }
        }
        catch (RequestFailedException error) when (error.Status == 404)
        {
            throw new InvalidDataException($"Remote segment {blob.Name} is recorded in the manifest but missing from the store.", error);
        }

        return read;
    }

    /// <summary>A whole remote segment's log, checked against the CRC-32C recorded at upload.</summary>
    public async Task<byte[]> ReadWholeLogAsync(TopicPartition partition, RemoteSegment segment, CancellationToken cancellationToken = default)
    {
        var bytes = new byte[segment.SizeInBytes];
        await ReadLogAsync(partition, segment, 0, bytes, cancellationToken).ConfigureAwait(false);
        uint crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, bytes);
        return crc == segment.LogCrc32C
            ? bytes
            : throw new InvalidDataException($"Remote segment {segment.BaseOffset} of {partition} does not match the CRC-32C recorded at upload ({crc:x8}, expected {segment.LogCrc32C:x8}).");
    }

    /// <summary>Deletes a segment's blobs (after retention dropped it from the manifest).</summary>
    public async Task DeleteSegmentAsync(TopicPartition partition, long baseOffset, CancellationToken cancellationToken = default)
    {
        foreach (string extension in RemotePaths.SegmentExtensions)
        {
            await Container.GetBlobClient(RemotePaths.Segment(partition, baseOffset, extension))
                .DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes everything the remote tier holds of a partition of the deleted topic <paramref name="topicId"/>: its
    /// segment blobs, then its manifest. A manifest of another topic id (the name was reused) is left alone, and so are
    /// its blobs. Returns how many blobs it deleted.
    /// </summary>
    public async Task<int> DeletePartitionAsync(TopicPartition partition, Guid topicId, CancellationToken cancellationToken = default)
    {
        (RemoteManifest? stored, ETag? etag) = await ReadStoredManifestAsync(partition, cancellationToken).ConfigureAwait(false);
        if (stored is not null && stored.TopicId != topicId)
        {
            return 0; // the name now belongs to a newer topic
        }

        int deleted = await DeleteSegmentBlobsAsync(partition, static (_, _) => true, cancellationToken).ConfigureAwait(false);

        if (etag is { } known)
        {
            await Container.GetBlobClient(RemotePaths.Manifest(partition)).DeleteIfExistsAsync(
                conditions: new BlobRequestConditions { IfMatch = known }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>
    /// Deletes segment blobs of the partition that the manifest does not record (an upload interrupted by a crash, or
    /// a segment retention dropped but failed to delete) and that are older than <paramref name="minAge"/>, so an
    /// upload still in progress is left alone. Returns how many blobs it deleted.
    /// </summary>
    public async Task<int> DeleteOrphansAsync(TopicPartition partition, Guid topicId, TimeSpan minAge, CancellationToken cancellationToken = default)
    {
        (RemoteManifest manifest, _) = await ReadManifestAsync(partition, topicId, cancellationToken).ConfigureAwait(false);
        var recorded = new HashSet<long>();
        foreach (RemoteSegment segment in manifest.Segments)
        {
            recorded.Add(segment.BaseOffset);
        }

        DateTimeOffset cutoff = DateTimeOffset.UtcNow - minAge;
        return await DeleteSegmentBlobsAsync(partition,
            (item, baseOffset) => !recorded.Contains(baseOffset) && item.Properties.LastModified is { } modified && modified < cutoff,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the partition's segment blobs that <paramref name="condemned"/> picks (given the blob and its base offset); returns how many.</summary>
    private async Task<int> DeleteSegmentBlobsAsync(TopicPartition partition, Func<BlobItem, long, bool> condemned, CancellationToken cancellationToken)
    {
        string prefix = RemotePaths.PartitionPrefix(partition);
        int deleted = 0;
        await foreach (BlobItem item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (RemotePaths.TryParseSegment(item.Name, prefix, out long baseOffset) && condemned(item, baseOffset))
            {
                await Container.GetBlobClient(item.Name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>
    /// Uploads a segment's log as 4 MiB blocks, up to 4 in flight, each MD5-checked by the service, then commits the
    /// block list. The bytes are read once: the CRC-32C returned is of exactly the bytes sent.
    /// </summary>
    private async Task<uint> UploadLogAsync(string blobName, TierableSegment segment, CancellationToken cancellationToken)
    {
        BlockBlobClient blob = Container.GetBlockBlobClient(blobName);
        var stageOptions = new BlockBlobStageBlockOptions { TransferValidation = Md5Upload };
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        var blockIds = new List<string>();
        var inFlight = new Queue<(Task Stage, byte[] Buffer)>(MaxConcurrency);
        long position = 0;
        try
        {
            while (position < segment.SizeInBytes)
            {
                if (inFlight.Count == MaxConcurrency)
                {
                    await ReturnOldestAsync(inFlight).ConfigureAwait(false);
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(TransferSize);
                int filled = 0;
                while (filled < TransferSize)
                {
                    int read = await segment.ReadAsync(position + filled, buffer.AsMemory(filled, TransferSize - filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }

                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw new IOException($"The local segment ended after {position} of its {segment.SizeInBytes} bytes.");
                }

                crc.Append(buffer.AsSpan(0, filled));
                position += filled;
                string blockId = Convert.ToBase64String(BitConverter.GetBytes((long)blockIds.Count)); // block ids must all have one length
                blockIds.Add(blockId);
                inFlight.Enqueue((blob.StageBlockAsync(blockId, new MemoryStream(buffer, 0, filled, writable: false), stageOptions, cancellationToken), buffer));
            }

            while (inFlight.Count > 0)
            {
                await ReturnOldestAsync(inFlight).ConfigureAwait(false);
            }

            await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { Conditions = CreateOnly }, cancellationToken).ConfigureAwait(false);
            return crc.GetCurrentHashAsUInt32();
        }
        finally
        {
            // After a failure: a buffer goes back to the pool only once its upload has stopped reading it.
            foreach ((Task stage, byte[] buffer) in inFlight)
            {
                await stage.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>An index: one MD5-checked put, creating the blob only.</summary>
    private async Task UploadSmallAsync(string blobName, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await Container.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(bytes), new BlobUploadOptions { TransferValidation = Md5Upload, Conditions = CreateOnly }, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits for the oldest block upload; once it succeeded, its buffer goes back to the pool.</summary>
    private static async Task ReturnOldestAsync(Queue<(Task Stage, byte[] Buffer)> inFlight)
    {
        (Task stage, byte[] buffer) = inFlight.Peek();
        await stage.ConfigureAwait(false);
        inFlight.Dequeue();
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
