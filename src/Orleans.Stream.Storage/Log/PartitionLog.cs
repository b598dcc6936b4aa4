using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage;

/// <summary>
/// The append-only log of one partition replica: a directory of segment files holding Kafka RecordBatch v2 bytes.
/// <list type="bullet">
/// <item>Appends from any number of callers go through one writer (never a lock held across I/O): the writer assigns
/// offsets, writes whole batches and publishes them; with <see cref="FlushPolicy.GroupCommit"/> a separate flusher
/// fsyncs and completes every append that one fsync covered.</item>
/// <item>Reads need no lock: they take the published segment view and see whole batches only, up to the high
/// watermark (or the log end); every batch served has its CRC checked.</item>
/// <item>Open runs recovery: segments past the recovery checkpoint are rescanned, a torn tail is cut, damaged or
/// missing indexes are rebuilt.</item>
/// </list>
/// </summary>
public sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _autoAdvanceHighWatermark;
    private readonly long _checkpointIntervalMs;
    private readonly ConcurrentQueue<WriteCommand> _commands = new();
    private readonly ConcurrentQueue<AppendRequest> _awaitingFlush = new();

    // Writer only (and Open, before the writer exists): the idempotent producers' recent batches.
    private readonly ProducerStateTable _producers = new();
    private readonly long _producerIdExpirationMs;
    private readonly object _flushLock = new();
    private readonly WriterWorkItem _writerWorkItem;
    private readonly FlusherWorkItem _flusherWorkItem;
    private readonly ITimer _flushTimer;
    private LogConfig _config;
    private LogView _view;

    // Odd while a truncation rewrites the tail; readers and the flusher retry or hold back when it moved.
    private long _generation;
    private long _highWatermark;
    private long _durableOffset;
    private long _lastCheckpointMs;
    private readonly long _pageCacheTailBytes;
    private Exception? _failure;
    private int _closed;
    private Task? _closeTask;

    private PartitionLog(string directory, LogConfig config, PartitionLogOptions options, LogView view, LeaderEpochCache epochs)
    {
        _directory = directory;
        _epochs = epochs;
        _config = config;
        _time = options.Time;
        _logger = options.Logger;
        _autoAdvanceHighWatermark = options.AutoAdvanceHighWatermark;
        _checkpointIntervalMs = (long)options.CheckpointInterval.TotalMilliseconds;
        _producerIdExpirationMs = (long)options.ProducerIdExpiration.TotalMilliseconds;
        _pageCacheTailBytes = options.PageCacheTailBytes;
        _view = view;
        _writerWorkItem = new WriterWorkItem(this);
        _flusherWorkItem = new FlusherWorkItem(this);
        _flushTimer = _time.CreateTimer(static state => ((PartitionLog)state!).OnFlushTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ScheduleFlushTimer(config);
    }

    public string Directory => _directory;

    public LogConfig Config => Volatile.Read(ref _config);

    /// <summary>The first offset still in the log; moves forward when retention deletes segments.</summary>
    public long LogStartOffset => Volatile.Read(ref _view).LogStartOffset;

    /// <summary>The offset the next appended record gets.</summary>
    public long LogEndOffset => Volatile.Read(ref _view).Active.NextOffset;

    /// <summary>Consumers see offsets below this. See <see cref="PartitionLogOptions.AutoAdvanceHighWatermark"/>.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    /// <summary>Every offset below this is fsynced.</summary>
    public long DurableOffset => Volatile.Read(ref _durableOffset);

    /// <summary>
    /// Every offset below this is as safe as <see cref="Config"/>'s flush policy makes an acknowledged append: fsynced
    /// under group-commit, written under replicated. What a replica counts towards the high watermark.
    /// </summary>
    public long AcknowledgeableOffset => Config.FlushPolicy == FlushPolicy.GroupCommit ? Math.Min(DurableOffset, LogEndOffset) : LogEndOffset;

    public long SizeInBytes
    {
        get
        {
            long total = 0;
            foreach (LogSegment segment in Volatile.Read(ref _view).Segments)
            {
                total += segment.Size;
            }

            return total;
        }
    }

    public IReadOnlyList<LogSegmentInfo> Segments
    {
        get
        {
            LogSegment[] segments = Volatile.Read(ref _view).Segments;
            var infos = new LogSegmentInfo[segments.Length];
            for (int i = 0; i < segments.Length; i++)
            {
                LogSegment s = segments[i];
                infos[i] = new LogSegmentInfo(s.BaseOffset, s.NextOffset, s.Size, s.MaxTimestamp, s.IsSealed);
            }

            return infos;
        }
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="directory"/> and recovers it: segments below the recovery
    /// checkpoint are trusted, later ones are rescanned batch by batch (length, magic, CRC, offset order) and cut at
    /// the first bad byte, with every segment after a cut deleted. Missing or damaged indexes are rebuilt, and so is a
    /// missing or damaged leader-epoch cache (from the batch headers).
    /// </summary>
    public static PartitionLog Open(string directory, LogConfig? config = null, PartitionLogOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        config ??= LogConfig.Default;
        options ??= PartitionLogOptions.Default;
        config.Validate();
        System.IO.Directory.CreateDirectory(directory);
        long now = options.Time.GetUtcNow().ToUnixTimeMilliseconds();

        DeleteStrayFiles(directory);
        List<long> bases = ListSegmentBaseOffsets(directory);
        RecoveryCheckpoint? checkpoint = RecoveryCheckpoint.TryRead(directory);
        long recoveryPoint = checkpoint?.RecoveryPoint ?? 0;
        bool clean = checkpoint?.CleanShutdown ?? false;

        var segments = new List<LogSegment>(bases.Count + 1);
        LeaderEpochCache epochs;
        bool epochsRebuilt;
        try
        {
            int firstToRecover = bases.Count;
            for (int i = 0; i < bases.Count; i++)
            {
                LogSegment segment = LogSegment.OpenExisting(directory, bases[i], config.IndexIntervalBytes);
                segments.Add(segment);
                bool last = i == bases.Count - 1;
                if (!last && bases[i + 1] <= recoveryPoint)
                {
                    segment.OpenSealed(bases[i + 1]);
                }
                else if (!(last && clean && segment.TryOpenCleanActive(now)))
                {
                    firstToRecover = i;
                    break;
                }
            }

            for (int i = firstToRecover; i < bases.Count; i++)
            {
                LogSegment segment = i < segments.Count ? segments[i] : Add(segments, LogSegment.OpenExisting(directory, bases[i], config.IndexIntervalBytes));
                long fileLength = RandomAccess.GetLength(segment.Handle);
                long valid = segment.Recover(now, out string? problem);
                bool overlapsNext = i + 1 < bases.Count && segment.NextOffset > bases[i + 1];
                if (valid < fileLength || overlapsNext || problem is not null)
                {
                    if (valid < fileLength)
                    {
                        Log.TruncatedTornTail(options.Logger, segment.LogPath, valid, fileLength, problem ?? "bytes past the last whole batch");
                        RandomAccess.SetLength(segment.Handle, valid);
                    }

                    for (int j = i + 1; j < bases.Count; j++)
                    {
                        Log.DeletedSegmentAfterTornTail(options.Logger, SegmentFiles.LogPath(directory, bases[j]));
                        DeleteSegmentFiles(directory, bases[j]);
                    }

                    bases.RemoveRange(i + 1, bases.Count - i - 1);
                }

                if (i < bases.Count - 1)
                {
                    segment.Seal();
                }

                segment.Flush(options.PageCacheTailBytes);
            }

            if (segments.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, 0, now, config.IndexIntervalBytes));
            }

            epochs = LeaderEpochCache.Open(directory, segments, out epochsRebuilt);
        }
        catch
        {
            foreach (LogSegment segment in segments)
            {
                segment.Release();
            }

            throw;
        }

        if (epochsRebuilt)
        {
            Log.RebuiltLeaderEpochs(options.Logger, directory, epochs.Entries.Count);
        }

        var log = new PartitionLog(directory, config, options, new LogView([.. segments]), epochs);
        long logEnd = log.LogEndOffset;
        log._durableOffset = logEnd;
        log._highWatermark = options.AutoAdvanceHighWatermark ? logEnd : Math.Min(checkpoint?.HighWatermark ?? 0, logEnd);
        log._lastCheckpointMs = now;
        log.RestoreProducerState();

        // From here on a crash must rescan the active segment: the checkpoint no longer says "clean".
        log.WriteCheckpoint(clean: false);
        Log.Opened(options.Logger, directory, log.LogStartOffset, logEnd, segments.Count);
        return log;
    }

    /// <summary>Flushes, writes a clean-shutdown checkpoint and closes every file. Safe to call more than once.</summary>
    public ValueTask DisposeAsync()
    {
        var close = new ControlCommand(CloseCore);
        Task? existing = Interlocked.CompareExchange(ref _closeTask, close.Task, null);
        if (existing is not null)
        {
            return new ValueTask(existing);
        }

        Enqueue(close);
        return new ValueTask(close.Task);
    }

    /// <summary>
    /// Open and truncation (writer): the producer table from the newest snapshot at or below the log end, then every batch header after
    /// it (all of them when there is no snapshot). After a clean close the snapshot is at the log end: nothing to read.
    /// </summary>
    private void RestoreProducerState()
    {
        long logEnd = LogEndOffset;
        ProducerStateSnapshot.Prune(_directory, LogStartOffset, logEnd);
        long from = ProducerStateSnapshot.LoadNewest(_directory, logEnd, _producers);
        long now = NowMs;
        _producers.RemoveExpired(now, _producerIdExpirationMs);
        if (from < logEnd)
        {
            // Producers found in the log count as seen now: when they last wrote is not recorded in the batches.
            foreach (LogSegment segment in _view.Segments)
            {
                if (segment.NextOffset > from)
                {
                    segment.VisitHeaders((Table: _producers, From: from, Now: now), static (state, header) =>
                    {
                        if (header.BaseOffset >= state.From)
                        {
                            state.Table.Observe(header, state.Now);
                        }
                    });
                }
            }
        }
    }

    /// <summary>Writer only: snapshots the producer table as of <paramref name="offset"/>; a failure costs only a longer restart.</summary>
    private void SnapshotProducerState(long offset)
    {
        try
        {
            ProducerStateSnapshot.Write(_directory, _producers, offset);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Log.ProducerSnapshotFailed(_logger, _directory, offset, error);
        }
    }

    private static T Add<T>(List<T> list, T item)
    {
        list.Add(item);
        return item;
    }

    private static List<long> ListSegmentBaseOffsets(string directory)
    {
        var bases = new List<long>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + SegmentFiles.LogExtension))
        {
            if (SegmentFiles.TryParseBaseOffset(Path.GetFileName(path), SegmentFiles.LogExtension, out long baseOffset))
            {
                bases.Add(baseOffset);
            }
        }

        bases.Sort();
        return bases;
    }

    /// <summary>Temp files of an interrupted checkpoint write, and index files whose log file is gone.</summary>
    private static void DeleteStrayFiles(string directory)
    {
        foreach (string path in System.IO.Directory.EnumerateFiles(directory))
        {
            string name = Path.GetFileName(path);
            bool orphanIndex =
                (SegmentFiles.TryParseBaseOffset(name, SegmentFiles.IndexExtension, out long b) || SegmentFiles.TryParseBaseOffset(name, SegmentFiles.TimeIndexExtension, out b))
                && !File.Exists(SegmentFiles.LogPath(directory, b));
            if (orphanIndex || name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }
    }

    private static void DeleteSegmentFiles(string directory, long baseOffset)
    {
        File.Delete(SegmentFiles.LogPath(directory, baseOffset));
        File.Delete(SegmentFiles.IndexPath(directory, baseOffset));
        File.Delete(SegmentFiles.TimeIndexPath(directory, baseOffset));
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new LogOfflineException(_directory, failure);
        }
    }

    private sealed class WriterWorkItem(PartitionLog log) : IThreadPoolWorkItem
    {
        public void Execute() => log.RunWriter(inline: false);
    }

    private sealed class FlusherWorkItem(PartitionLog log) : IThreadPoolWorkItem
    {
        public void Execute() => log.RunFlusher();
    }
}
