using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    // An appender that becomes the writer serves at most this many commands before handing the rest to the pool,
    // so one caller does not end up writing everybody's batches.
    private const int MaxInlineCommands = 64;

    private int _writerScheduled;

    /// <summary>
    /// Appends producer data: one or more whole RecordBatch v2 batches. The log assigns offsets by stamping each
    /// batch's <c>baseOffset</c> (and <c>partitionLeaderEpoch</c> when given) in place, so the bytes must stay
    /// untouched until the returned task completes. Completes after the write (replicated) or after the fsync that
    /// covers it (group-commit). Bad input (size, magic, CRC, record structure) throws before anything is written.
    /// </summary>
    public ValueTask<AppendResult> AppendAsync(Memory<byte> batches, int? partitionLeaderEpoch = null) =>
        Submit(batches, OffsetRule.AssignOnAppend, partitionLeaderEpoch);

    /// <summary>
    /// Appends replicated data exactly as written by the leader: offsets are kept and must start at or past the log end.
    /// </summary>
    public ValueTask<AppendResult> AppendReplicatedAsync(ReadOnlyMemory<byte> batches) =>
        Submit(System.Runtime.InteropServices.MemoryMarshal.AsMemory(batches), OffsetRule.KeepAsWritten, partitionLeaderEpoch: null);

    private ValueTask<AppendResult> Submit(Memory<byte> batches, OffsetRule rule, int? partitionLeaderEpoch)
    {
        try
        {
            ThrowIfUnusable();
            BatchSetSummary summary = RecordBatchValidator.Validate(batches.Span, Config.MaxMessageBytes, rule);
            AppendRequest request = AppendRequest.Rent(batches, rule, partitionLeaderEpoch, summary);
            ValueTask<AppendResult> task = request.Task;
            Enqueue(request);
            return task;
        }
        catch (Exception error) when (error is LogException or ObjectDisposedException)
        {
            return ValueTask.FromException<AppendResult>(error);
        }
    }

    private void Enqueue(WriteCommand command)
    {
        _commands.Enqueue(command);
        if (Interlocked.CompareExchange(ref _writerScheduled, 1, 0) == 0)
        {
            RunWriter(inline: true);
        }
    }

    /// <summary>The single writer: drains the command queue; whoever wins <see cref="_writerScheduled"/> runs it.</summary>
    private void RunWriter(bool inline)
    {
        while (true)
        {
            int served = 0;
            bool needFlush = false;
            while (_commands.TryDequeue(out WriteCommand? command))
            {
                needFlush |= Execute(command);
                if (inline && ++served >= MaxInlineCommands && !_commands.IsEmpty)
                {
                    if (needFlush)
                    {
                        RequestFlush();
                    }

                    // Hand over without releasing _writerScheduled: the pool thread is the writer now.
                    ThreadPool.UnsafeQueueUserWorkItem(_writerWorkItem, preferLocal: false);
                    return;
                }
            }

            if (needFlush)
            {
                RequestFlush();
            }

            Volatile.Write(ref _writerScheduled, 0);
            if (_commands.IsEmpty || Interlocked.CompareExchange(ref _writerScheduled, 1, 0) != 0)
            {
                return;
            }
        }
    }

    /// <summary>Runs one command; true when it left an append waiting for an fsync.</summary>
    private bool Execute(WriteCommand command)
    {
        if (command is ControlCommand control)
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                control.Fail(new ObjectDisposedException(nameof(PartitionLog)));
            }
            else
            {
                control.Run();
            }

            return false;
        }

        var request = (AppendRequest)command;
        if (Volatile.Read(ref _closed) != 0)
        {
            request.Fail(new ObjectDisposedException(nameof(PartitionLog)));
            return false;
        }

        if (Volatile.Read(ref _failure) is { } failure)
        {
            request.Fail(new LogOfflineException(_directory, failure));
            return false;
        }

        return WriteAppend(request);
    }

    private bool WriteAppend(AppendRequest request)
    {
        LogConfig config = Config;
        LogSegment active = _view.Active;
        long logEnd = active.NextOffset;
        BatchSetSummary summary = request.Summary;
        long first, last;
        IdempotentBatch producer = summary.Producer;
        if (producer.IsIdempotent && !PassesSequenceCheck(request, producer, out bool awaitsFlush))
        {
            return awaitsFlush;
        }

        if (request.Rule == OffsetRule.AssignOnAppend)
        {
            first = logEnd;
            last = logEnd + summary.OffsetCount - 1;
        }
        else
        {
            first = summary.FirstBaseOffset;
            last = summary.LastOffset;
            if (first < logEnd)
            {
                request.Fail(new InvalidRecordException(
                    $"Replicated batch starts at offset {first}, below the log end offset {logEnd} of {_directory}; truncate first."));
                return false;
            }
        }

        long now = NowMs;
        try
        {
            long size = active.Size;
            bool full = size + summary.TotalBytes > config.SegmentBytes;
            bool old = now - active.RollBaseMs >= config.SegmentMs;
            bool offsetsOverflow = last - active.BaseOffset > int.MaxValue;
            if (size > 0 && (full || old || offsetsOverflow))
            {
                active = Roll(now, first);
            }

            Span<byte> bytes = request.Batches.Span;
            if (request.Rule == OffsetRule.AssignOnAppend)
            {
                StampOffsets(bytes, first, request.PartitionLeaderEpoch);
            }

            RecordLeaderEpochs(bytes, request.PartitionLeaderEpoch);
            active.Append(bytes, now);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            GoOffline(error);
            request.Fail(new LogOfflineException(_directory, error));
            return false;
        }

        _logEndWaiters.Release(); // replication may send these bytes now, before they are fsynced
        request.FirstOffset = first;
        request.LastOffset = last;
        if (producer.IsIdempotent)
        {
            _producers.Record(producer.ProducerId, producer.Epoch, new ProducedBatch(producer.FirstSequence, producer.LastSequence, first, last), now);
        }
        else if (request.Rule == OffsetRule.KeepAsWritten)
        {
            ObserveProducers(request.Batches.Span);
        }

        if (config.FlushPolicy == FlushPolicy.Replicated)
        {
            if (_autoAdvanceHighWatermark)
            {
                AdvanceHighWatermark(last + 1);
            }

            request.Complete(LogStartOffset);
            return false;
        }

        _awaitingFlush.Enqueue(request);
        return true;
    }

    /// <summary>
    /// Applies the idempotent producer's sequence rules before anything is written. False when the append must not be
    /// written: refused (the request failed), or a retry of a batch already in the log, which is answered with that
    /// batch's offsets once they are as durable as a fresh append's would be (<paramref name="awaitsFlush"/>).
    /// </summary>
    private bool PassesSequenceCheck(AppendRequest request, in IdempotentBatch producer, out bool awaitsFlush)
    {
        awaitsFlush = false;
        SequenceVerdict verdict = _producers.Check(
            producer.ProducerId, producer.Epoch, producer.FirstSequence, producer.LastSequence, out ProducedBatch original, out int expected);
        switch (verdict)
        {
            case SequenceVerdict.Append:
                return true;
            case SequenceVerdict.Duplicate:
                request.FirstOffset = original.FirstOffset;
                request.LastOffset = original.LastOffset;
                if (Config.FlushPolicy == FlushPolicy.GroupCommit && original.LastOffset >= DurableOffset)
                {
                    _awaitingFlush.Enqueue(request);
                    awaitsFlush = true;
                }
                else
                {
                    request.Complete(LogStartOffset);
                }

                return false;
            case SequenceVerdict.Fenced:
                request.Fail(new InvalidProducerEpochException(producer.ProducerId, producer.Epoch));
                return false;
            case SequenceVerdict.UnknownProducer:
                request.Fail(new UnknownProducerIdException(producer.ProducerId, producer.FirstSequence));
                return false;
            default:
                request.Fail(new OutOfOrderSequenceException(producer.ProducerId, producer.FirstSequence, expected));
                return false;
        }
    }

    /// <summary>Records the idempotent producers' batches among replicated data (the leader checked their sequences).</summary>
    private void ObserveProducers(ReadOnlySpan<byte> batches)
    {
        long now = NowMs;
        int position = 0;
        while (position < batches.Length)
        {
            RecordBatchHeader header = RecordBatchHeader.Read(batches[position..]);
            _producers.Observe(header, now);
            position += header.TotalSize;
        }
    }

    /// <summary>Writes each batch's base offset (and leader epoch): fields outside the CRC, so no re-checksum.</summary>
    private static void StampOffsets(Span<byte> batches, long firstOffset, int? partitionLeaderEpoch)
    {
        long next = firstOffset;
        int position = 0;
        while (position < batches.Length)
        {
            Span<byte> batch = batches[position..];
            BinaryPrimitives.WriteInt64BigEndian(batch, next);
            if (partitionLeaderEpoch is int epoch)
            {
                BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], epoch);
            }

            next += BinaryPrimitives.ReadInt32BigEndian(batch[LastOffsetDeltaOffset..]) + 1L;
            position += BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]) + LogOverhead;
        }
    }

    /// <summary>Writer only: seals the active segment and starts a new one at <paramref name="baseOffset"/>.</summary>
    private LogSegment Roll(long now, long baseOffset)
    {
        LogView view = _view;
        view.Active.Seal();
        SnapshotProducerState(baseOffset); // so a restart reads producer state from here, not from the start
        LogSegment segment = LogSegment.Create(_directory, baseOffset, now, Config.IndexIntervalBytes);
        Volatile.Write(ref _view, view.WithAppended(segment));

        // The sealed segment and its indexes go to disk in the background; then the checkpoint can move past it.
        RequestFlush();
        return segment;
    }

    private void GoOffline(Exception error)
    {
        if (Interlocked.CompareExchange(ref _failure, error, null) is null)
        {
            Log.WentOffline(_logger, _directory, error);
        }
    }
}
