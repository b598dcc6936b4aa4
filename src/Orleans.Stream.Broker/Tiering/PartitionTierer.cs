using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Storage;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Broker.Tiering;

/// <summary>
/// The leader's tiering of one partition, one pass at a time: total retention over the remote segments, then every
/// committed sealed segment not yet remote goes up, oldest first, each recorded in the manifest before the log may
/// delete it locally (<see cref="PartitionLog.MarkTiered"/>). Every manifest write is fenced by the leader epoch, so a
/// replaced leader can no longer change it. Any failure ends the pass; the next pass starts again from the manifest.
/// </summary>
internal sealed partial class PartitionTierer(RemoteTier tier, TimeProvider time, ILogger logger)
{
    /// <summary>One pass over <paramref name="partition"/>, which this broker leads in <paramref name="leaderEpoch"/>. Returns the bytes uploaded.</summary>
    public async Task<long> RunAsync(LocalPartition partition, int leaderEpoch, CancellationToken cancellationToken)
    {
        PartitionLog log = partition.Log;
        RemoteManifest manifest = await tier.GetManifestAsync(partition, cancellationToken).ConfigureAwait(false);
        if (manifest.LeaderEpoch < leaderEpoch)
        {
            // Claim the manifest before creating any blob: from now on a deposed leader can neither record a segment
            // nor replace a blob of ours (RemoteLogStore.UploadSegmentAsync reads the claim before it deletes anything).
            manifest = await tier.Store.UpdateManifestAsync(partition.TopicPartition, partition.TopicId, current => current.FencedFor(leaderEpoch), cancellationToken).ConfigureAwait(false);
            partition.Remote = manifest;
        }

        manifest = manifest.FencedFor(leaderEpoch);
        log.MarkTiered(manifest.EndOffset);
        manifest = await ApplyRetentionAsync(partition, manifest, leaderEpoch, cancellationToken).ConfigureAwait(false);

        long uploaded = 0;
        while (!cancellationToken.IsCancellationRequested && partition.LeaderEpoch == leaderEpoch && !partition.IsDeleted)
        {
            long from = manifest.Segments.Count == 0 ? Math.Max(manifest.LogStartOffset, log.LogStartOffset) : manifest.EndOffset;
            using TierableSegment? segment = log.OpenTierable(from);
            if (segment is null)
            {
                break; // nothing sealed and committed beyond the remote end yet
            }

            long started = Stopwatch.GetTimestamp();
            manifest = await tier.Store.UploadSegmentAsync(partition.TopicPartition, partition.TopicId, segment, leaderEpoch, cancellationToken).ConfigureAwait(false);
            partition.Remote = manifest;
            log.MarkTiered(manifest.EndOffset);
            uploaded += segment.SizeInBytes;
            double milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            BrokerMetrics.TieringUploadDuration.Record(milliseconds);
            BrokerMetrics.TieringUploadedBytes.Add(segment.SizeInBytes);
            LogUploaded(logger, partition.TopicPartition, segment.BaseOffset, segment.LastOffset, segment.SizeInBytes, milliseconds, leaderEpoch);
        }

        return uploaded;
    }

    /// <summary>
    /// <c>retention.ms</c> and <c>retention.bytes</c> over the whole log: the oldest remote segments go while they are
    /// past the time limit, or while the log (remote, plus local data not yet remote) stays over the size limit without them.
    /// </summary>
    private async Task<RemoteManifest> ApplyRetentionAsync(LocalPartition partition, RemoteManifest manifest, int leaderEpoch, CancellationToken cancellationToken)
    {
        LogConfig config = partition.Log.Config;
        IReadOnlyList<RemoteSegment> segments = manifest.Segments;
        int drop = 0;
        if (config.RetentionMs >= 0)
        {
            long cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - config.RetentionMs;
            while (drop < segments.Count && segments[drop].MaxTimestamp < cutoff)
            {
                drop++;
            }
        }

        if (config.RetentionBytes >= 0)
        {
            long total = manifest.SizeInBytes + LocalBytesFrom(partition.Log, manifest.EndOffset);
            for (int i = 0; i < segments.Count; i++)
            {
                if (i >= drop && total - segments[i].SizeInBytes < config.RetentionBytes)
                {
                    break;
                }

                total -= segments[i].SizeInBytes;
                drop = Math.Max(drop, i + 1);
            }
        }

        if (drop == 0)
        {
            return manifest;
        }

        long keepFrom = segments[drop - 1].LastOffset + 1;
        IReadOnlyList<RemoteSegment> removed = [];
        manifest = await tier.Store.UpdateManifestAsync(partition.TopicPartition, partition.TopicId,
            current => current.FencedFor(leaderEpoch).WithoutBefore(keepFrom, out removed), cancellationToken).ConfigureAwait(false);
        partition.Remote = manifest;

        // Readers stop finding them first; a blob left behind by a failure here is an orphan for the cleanup pass.
        foreach (RemoteSegment segment in removed)
        {
            await tier.Store.DeleteSegmentAsync(partition.TopicPartition, segment.BaseOffset, cancellationToken).ConfigureAwait(false);
        }

        LogRemoteRetention(logger, partition.TopicPartition, removed.Count, manifest.LogStartOffset);
        return manifest;
    }

    /// <summary>
    /// Bytes of the local segments that hold offsets at or above <paramref name="offset"/> (not yet remote); with
    /// <paramref name="sealedOnly"/>, without the active segment (what tiering could upload now).
    /// </summary>
    internal static long LocalBytesFrom(PartitionLog log, long offset, bool sealedOnly = false)
    {
        long bytes = 0;
        foreach (LogSegmentInfo segment in log.Segments)
        {
            if (segment.NextOffset > offset && (segment.IsSealed || !sealedOnly))
            {
                bytes += segment.SizeInBytes;
            }
        }

        return bytes;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition}: tiered offsets {First}-{Last} ({Bytes} bytes in {Milliseconds:0} ms) in leader epoch {Epoch}")]
    private static partial void LogUploaded(ILogger logger, TopicPartition partition, long first, long last, long bytes, double milliseconds, int epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition}: retention removed {Count} remote segment(s); the log now starts at {LogStart}")]
    private static partial void LogRemoteRetention(ILogger logger, TopicPartition partition, int count, long logStart);
}
