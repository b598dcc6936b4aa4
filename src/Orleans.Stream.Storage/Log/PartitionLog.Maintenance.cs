using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    /// <summary>Seals the active segment (if it holds anything) and starts a new one. Returns the new segment's base offset.</summary>
    public async ValueTask<long> RollAsync()
    {
        ThrowIfUnusable();
        var roll = new ControlCommand(() =>
        {
            LogSegment active = _view.Active;
            return active.Size == 0 ? active.BaseOffset : Roll(NowMs, active.NextOffset).BaseOffset;
        });
        Enqueue(roll);
        return await roll.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Removes every record at or after <paramref name="offset"/> (replication's divergent-tail truncation).
    /// Batches are kept or dropped whole: if the offset falls inside a batch, that batch goes too. Returns the new
    /// log end offset. Appends waiting for an fsync are flushed first; readers never see bytes from before and after.
    /// </summary>
    public async ValueTask<long> TruncateToAsync(long offset)
    {
        ThrowIfUnusable();
        var truncate = new ControlCommand(() => TruncateCore(offset));
        Enqueue(truncate);
        return await truncate.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Empties the log and starts it afresh at <paramref name="newStartOffset"/>, past its current end (Kafka's
    /// <c>truncateFullyAndStartAt</c>): a replica that must copy a leader whose log no longer starts where this one ends
    /// (retention deleted the offsets in between). Returns the new log end, which is <paramref name="newStartOffset"/>.
    /// </summary>
    public async ValueTask<long> ResetToAsync(long newStartOffset)
    {
        ThrowIfUnusable();
        var reset = new ControlCommand(() => ResetCore(newStartOffset));
        Enqueue(reset);
        return await reset.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Applies <c>retention.ms</c> and <c>retention.bytes</c> (with a remote tier: <c>local.retention.*</c>, and only to
    /// segments below <see cref="TieredOffset"/>): deletes whole segments from the start of the log (never data at or
    /// above the high watermark) and moves the log start offset. Returns how many were deleted.
    /// </summary>
    public async ValueTask<int> DeleteExpiredSegmentsAsync()
    {
        ThrowIfUnusable();
        var retention = new ControlCommand(() => DeleteExpiredSegments());
        Enqueue(retention);
        return (int)await retention.Task.ConfigureAwait(false);
    }

    /// <summary>Switches to a new config (a topic config change); it applies from the next append, roll or retention pass.</summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Volatile.Write(ref _config, config);
        ScheduleFlushTimer(config);
    }

    private long TruncateCore(long offset)
    {
        LogView view = _view;
        long logEnd = view.Active.NextOffset;
        if (offset < view.LogStartOffset)
        {
            throw new OffsetOutOfRangeException(offset, view.LogStartOffset, logEnd);
        }

        if (offset >= logEnd)
        {
            return logEnd;
        }

        return RewriteTail(() =>
        {
            int index = view.FloorSegment(offset);
            LogSegment segment = view.Segments[index];
            long position = segment.FindBatch(offset, segment.Size, out RecordBatchHeader header);
            long newEnd = position < 0 ? segment.NextOffset : header.BaseOffset;
            if (position < 0)
            {
                position = segment.Size;
            }

            PublishCut(view.Slice(0, index + 1), Math.Min(Volatile.Read(ref _durableOffset), newEnd), Math.Min(Volatile.Read(ref _highWatermark), newEnd));
            for (int i = index + 1; i < view.Segments.Length; i++)
            {
                view.Segments[i].Delete();
            }

            segment.TruncateTo(position);
            _epochs.TruncateFromEnd(newEnd); // after the bytes: the cache may run ahead of the log, never lag it
            return newEnd;
        });
    }

    private long ResetCore(long newStartOffset)
    {
        LogView view = _view;
        if (newStartOffset <= view.Active.NextOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(newStartOffset), newStartOffset, $"A reset must start past the log end {view.Active.NextOffset}; truncate instead.");
        }

        return RewriteTail(() =>
        {
            // Every old segment's base is below the new start, so the new segment's files never collide with theirs.
            LogSegment fresh = LogSegment.Create(_directory, newStartOffset, NowMs, Config.IndexIntervalBytes);
            PublishCut(new LogView([fresh]), newStartOffset, newStartOffset);
            foreach (LogSegment segment in view.Segments)
            {
                segment.Delete();
            }

            _epochs.TruncateFromEnd(0); // none of the old epochs has a record here any more
            return newStartOffset;
        });
    }

    /// <summary>
    /// Writer: a change that rewrites the log's tail (truncation, reset) while readers hold off (odd generation).
    /// Appends written before it are flushed first and completed as written (they were, and are now durable); the
    /// producer table then follows the new end, as Kafka's does: back to the newest snapshot at or below it, then
    /// forward through the log. An I/O failure takes the log offline.
    /// </summary>
    private long RewriteTail(Func<long> rewrite)
    {
        FlushCore(forceCheckpoint: false);
        Interlocked.Increment(ref _generation); // odd: readers hold off
        try
        {
            long newEnd = rewrite();
            _producers.Clear();
            RestoreProducerState();
            Log.Truncated(_logger, _directory, newEnd);
            return newEnd;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            GoOffline(error);
            throw new LogOfflineException(_directory, error);
        }
        finally
        {
            Interlocked.Increment(ref _generation); // even again
        }
    }

    /// <summary>Publishes a cut's segments and offsets and checkpoints them before any bytes change: the checkpoint must stop trusting what goes.</summary>
    private void PublishCut(LogView view, long durableOffset, long highWatermark)
    {
        Volatile.Write(ref _view, view);
        Volatile.Write(ref _durableOffset, durableOffset);
        Volatile.Write(ref _highWatermark, highWatermark);
        lock (_flushLock)
        {
            WriteCheckpoint(clean: false);
        }
    }

    private int DeleteExpiredSegments()
    {
        LogConfig config = Config;
        long now = NowMs;
        long highWatermark = HighWatermark;
        LogSegment[] segments = _view.Segments;
        _producers.RemoveExpired(now, _producerIdExpirationMs);

        // With a remote tier, retention here is local retention, and only segments already remote may go.
        bool tiered = config.RemoteStorageEnable;
        long retentionMs = config.EffectiveLocalRetentionMs;
        long retentionBytes = config.EffectiveLocalRetentionBytes;
        long deletableBelow = tiered ? Math.Min(highWatermark, TieredOffset) : highWatermark;
        int expired = 0;
        if (retentionMs >= 0)
        {
            long cutoff = now - retentionMs;
            while (expired < segments.Length && IsExpired(segments[expired], cutoff, deletableBelow))
            {
                expired++;
            }

            LogSegment active = segments[^1];
            if (expired == segments.Length || (tiered && expired == segments.Length - 1 && IsExpired(active, cutoff, highWatermark)))
            {
                // Everything is past retention, the active segment too: roll so it can go (Kafka does the same). With a
                // remote tier it goes once tiered, which needs it sealed first.
                Roll(now, active.NextOffset);
                segments = _view.Segments;
            }
        }

        int count = Math.Min(expired, segments.Length - 1);
        if (retentionBytes >= 0)
        {
            long excess = -retentionBytes;
            foreach (LogSegment segment in segments)
            {
                excess += segment.Size;
            }

            for (int i = 0; i < segments.Length - 1; i++)
            {
                LogSegment segment = segments[i];
                if (i >= count)
                {
                    if (excess - segment.Size < 0 || segment.NextOffset > deletableBelow)
                    {
                        break;
                    }

                    count = i + 1;
                }

                excess -= segment.Size;
            }
        }

        if (count == 0)
        {
            return 0;
        }

        LogView view = _view;
        Volatile.Write(ref _view, view.Slice(count, view.Segments.Length - count));
        for (int i = 0; i < count; i++)
        {
            view.Segments[i].Delete();
        }

        ProducerStateSnapshot.Prune(_directory, LogStartOffset, LogEndOffset);
        _epochs.TruncateFromStart(LogStartOffset);
        Log.DeletedSegments(_logger, count, _directory, LogStartOffset);
        return count;
    }

    private static bool IsExpired(LogSegment segment, long cutoff, long highWatermark) =>
        segment.Size > 0 && segment.MaxTimestamp < cutoff && segment.NextOffset <= highWatermark;

    /// <summary>Writer: final flush, indexes of the active segment, a clean checkpoint, then release every file.</summary>
    private long CloseCore()
    {
        Volatile.Write(ref _closed, 1);
        _flushTimer.Dispose();
        LogView view = _view;
        try
        {
            if (Volatile.Read(ref _failure) is null)
            {
                FlushCore(forceCheckpoint: false);
                lock (_flushLock)
                {
                    view.Active.WriteIndexesForCleanShutdown();
                    Volatile.Write(ref _durableOffset, view.Active.NextOffset);
                    SnapshotProducerState(view.Active.NextOffset);
                    WriteCheckpoint(clean: true);
                }
            }
        }
        finally
        {
            FailAwaitingFlush(new ObjectDisposedException(nameof(PartitionLog)));
            foreach (LogSegment segment in view.Segments)
            {
                segment.Release();
            }

            _highWatermarkWaiters.Release();
            _logEndWaiters.Release();
        }

        return 0;
    }
}
