using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    private int _flusherScheduled;
    private long _flushRequests;
    private RecoveryCheckpoint? _lastCheckpoint;

    // Flush passes only, under the flush lock: an append taken off _awaitingFlush that is not durable yet.
    private AppendRequest? _awaitingFlushHead;

    /// <summary>
    /// Advances the high watermark (never backwards, never past the log end) and wakes readers waiting for data.
    /// With replication the leader calls this with the minimum log end offset of the in-sync replicas.
    /// </summary>
    public void AdvanceHighWatermark(long offset)
    {
        long target = Math.Min(offset, LogEndOffset);
        long current = Volatile.Read(ref _highWatermark);
        while (target > current)
        {
            long seen = Interlocked.CompareExchange(ref _highWatermark, target, current);
            if (seen == current)
            {
                _highWatermarkWaiters.Release();
                return;
            }

            current = seen;
        }
    }

    /// <summary>fsyncs everything appended before the call and rewrites the recovery checkpoint.</summary>
    public async ValueTask FlushAsync()
    {
        ThrowIfUnusable();
        var flush = new ControlCommand(() =>
        {
            FlushCore(forceCheckpoint: true);
            return DurableOffset;
        });
        Enqueue(flush);
        await flush.Task.ConfigureAwait(false);
    }

    private void RequestFlush()
    {
        Interlocked.Increment(ref _flushRequests);
        if (Interlocked.CompareExchange(ref _flusherScheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_flusherWorkItem, preferLocal: false);
        }
    }

    /// <summary>
    /// One flush pass per work item. When more appends arrived meanwhile, the flusher requeues itself on the global
    /// queue instead of looping: the appenders it just completed were queued on this thread's local queue, and they
    /// get to run (and append again) before the next fsync, which then covers all of them. Looping here would block
    /// them behind that fsync and shrink every group.
    /// </summary>
    private void RunFlusher()
    {
        long seen = Volatile.Read(ref _flushRequests);
        FlushCore(forceCheckpoint: false);
        if (Volatile.Read(ref _flushRequests) != seen)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_flusherWorkItem, preferLocal: false);
            return;
        }

        Volatile.Write(ref _flusherScheduled, 0);
        if (Volatile.Read(ref _flushRequests) != seen && Interlocked.CompareExchange(ref _flusherScheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_flusherWorkItem, preferLocal: false);
        }
    }

    /// <summary>
    /// One flush pass: fsync every segment with unflushed bytes (and sealed segments' indexes), move the durable
    /// offset, complete the group-commit appends it covers, and rewrite the checkpoint when due.
    /// Appends never wait for this lock; it only keeps flush passes (flusher, close, truncate) from overlapping.
    /// </summary>
    private void FlushCore(bool forceCheckpoint)
    {
        lock (_flushLock)
        {
            if (Volatile.Read(ref _failure) is { } failure)
            {
                FailAwaitingFlush(new LogOfflineException(_directory, failure));
                return;
            }

            long generation = Volatile.Read(ref _generation);
            LogView view = Volatile.Read(ref _view);
            long target = view.Active.NextOffset;
            long flushStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            bool flushed = false;
            try
            {
                LogSegment[] segments = view.Segments;
                for (int i = segments.Length - 1; i >= 0; i--)
                {
                    LogSegment segment = segments[i];
                    if (!segment.NeedsFlush)
                    {
                        // Passes run in order, so everything before a flushed sealed segment is flushed too.
                        if (segment.IsSealed)
                        {
                            break;
                        }

                        continue;
                    }

                    if (segment.TryAcquire())
                    {
                        try
                        {
                            segment.Flush(_pageCacheTailBytes);
                            flushed = true;
                        }
                        finally
                        {
                            segment.Release();
                        }
                    }
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                GoOffline(error);
                FailAwaitingFlush(new LogOfflineException(_directory, error));
                return;
            }

            if (flushed)
            {
                LogMetrics.FlushDuration.Record(LogMetrics.MillisecondsSince(flushStarted));
            }

            // A truncation that ran meanwhile may have cut below target: then this pass proves nothing.
            if (generation % 2 == 0 && Volatile.Read(ref _generation) == generation && target > Volatile.Read(ref _durableOffset))
            {
                Volatile.Write(ref _durableOffset, target);
            }

            CompleteFlushedAppends();
            long now = NowMs;
            if (forceCheckpoint || now - _lastCheckpointMs >= _checkpointIntervalMs)
            {
                WriteCheckpoint(clean: false);
            }
        }
    }

    /// <summary>Flush passes only (under the flush lock): completes waiting appends the durable offset now covers.</summary>
    private void CompleteFlushedAppends()
    {
        long durable = Volatile.Read(ref _durableOffset);
        if (_autoAdvanceHighWatermark)
        {
            // Before completing: a producer that sees its ack can immediately read its record back.
            AdvanceHighWatermark(durable);
        }

        long logStart = LogStartOffset;
        while (NextAwaitingFlush() is { } request)
        {
            if (request.LastOffset >= durable)
            {
                _awaitingFlushHead = request;
                return;
            }

            _awaitingFlushHead = null;
            request.Complete(logStart);
        }
    }

    private void FailAwaitingFlush(Exception error)
    {
        lock (_flushLock)
        {
            while (NextAwaitingFlush() is { } request)
            {
                _awaitingFlushHead = null;
                request.Fail(error);
            }
        }
    }

    /// <summary>
    /// The oldest append waiting for an fsync. ConcurrentQueue.TryPeek would pin the queue's segment and make it
    /// allocate a new one every 32 appends, so the one consumer dequeues and parks the head here instead.
    /// </summary>
    private AppendRequest? NextAwaitingFlush() =>
        _awaitingFlushHead ?? (_awaitingFlush.TryDequeue(out AppendRequest? request) ? request : null);

    /// <summary>
    /// Writes the recovery checkpoint. Its recovery point never passes a segment that is not wholly on disk (data
    /// and indexes), so recovery trusts exactly the segments that are.
    /// </summary>
    private void WriteCheckpoint(bool clean)
    {
        LogView view = Volatile.Read(ref _view);
        long recoveryPoint = Volatile.Read(ref _durableOffset);
        if (!clean)
        {
            foreach (LogSegment segment in view.Segments)
            {
                if (segment == view.Active || segment.NeedsFlush)
                {
                    recoveryPoint = Math.Min(recoveryPoint, segment.BaseOffset);
                    break;
                }
            }
        }

        var checkpoint = new RecoveryCheckpoint(recoveryPoint, HighWatermark, clean);
        _lastCheckpointMs = NowMs;
        if (checkpoint != _lastCheckpoint)
        {
            checkpoint.Write(_directory);
            _lastCheckpoint = checkpoint;
        }
    }

    private void OnFlushTimer()
    {
        if (Volatile.Read(ref _closed) == 0 && Volatile.Read(ref _failure) is null)
        {
            RequestFlush();
        }
    }

    private void ScheduleFlushTimer(LogConfig config)
    {
        // Replicated logs flush every flush.ms; group-commit logs flush per append, and the timer only keeps the
        // checkpoint fresh after appends stop.
        long period = config.FlushPolicy == FlushPolicy.Replicated ? config.FlushMs : Math.Max(_checkpointIntervalMs, 1);
        _flushTimer.Change(TimeSpan.FromMilliseconds(period), TimeSpan.FromMilliseconds(period));
    }
}
