using System.Buffers;
using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Log;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Reads whole batches starting with the one that contains <paramref name="offset"/>, up to
    /// <paramref name="maxBytes"/> (but always at least one whole batch, as Kafka's fetch does), from one segment,
    /// and never past <paramref name="bound"/>. Offsets below the log start or above the log end throw
    /// <see cref="OffsetOutOfRangeException"/>; reading at the bound returns an empty result.
    /// A batch that fails its CRC is never returned: if it is the first, <see cref="CorruptRecordException"/> says where.
    /// </summary>
    public LogReadResult Read(long offset, int maxBytes, ReadBound bound = ReadBound.HighWatermark)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        while (true)
        {
            ThrowIfUnusable();
            long generation = Volatile.Read(ref _generation);
            if (generation % 2 != 0)
            {
                Thread.Yield();
                continue;
            }

            long highWatermark = HighWatermark;
            LogView view = Volatile.Read(ref _view);
            long logStart = view.LogStartOffset;
            long logEnd = view.Active.NextOffset;
            long upper = bound == ReadBound.HighWatermark ? Math.Min(highWatermark, logEnd) : logEnd;
            if (offset < logStart || offset > logEnd)
            {
                throw new OffsetOutOfRangeException(offset, logStart, logEnd);
            }

            if (offset >= upper)
            {
                return new LogReadResult(null, 0, offset, highWatermark, logStart, logEnd);
            }

            if (TryReadFromView(view, offset, maxBytes, upper, generation, highWatermark, logStart, logEnd, out LogReadResult? result))
            {
                return result;
            }
        }
    }

    /// <summary>
    /// The first record with timestamp ≥ <paramref name="timestamp"/> (Kafka's ListOffsets by time), or null when
    /// every record below the bound is older.
    /// </summary>
    public TimestampOffset? FindOffsetByTimestamp(long timestamp, ReadBound bound = ReadBound.HighWatermark)
    {
        while (true)
        {
            ThrowIfUnusable();
            long generation = Volatile.Read(ref _generation);
            LogView view = Volatile.Read(ref _view);
            long upper = bound == ReadBound.HighWatermark ? Math.Min(HighWatermark, view.Active.NextOffset) : view.Active.NextOffset;
            if (generation % 2 != 0)
            {
                Thread.Yield();
                continue;
            }

            TimestampOffset? found = null;
            bool complete = true;
            foreach (LogSegment segment in view.Segments)
            {
                if (segment.BaseOffset >= upper)
                {
                    break;
                }

                if (segment.MaxTimestamp < timestamp)
                {
                    continue;
                }

                if (!segment.TryAcquire())
                {
                    complete = false;
                    break;
                }

                try
                {
                    found = segment.FindByTimestamp(timestamp, segment.Size, upper);
                }
                finally
                {
                    segment.Release();
                }

                if (found is not null)
                {
                    break;
                }
            }

            if (complete && Volatile.Read(ref _generation) == generation)
            {
                return found;
            }
        }
    }

    /// <summary>One read attempt over a view; false when the view changed underneath (retry).</summary>
    private bool TryReadFromView(
        LogView view, long offset, int maxBytes, long upper, long generation, long highWatermark, long logStart, long logEnd, out LogReadResult result)
    {
        result = null!;
        LogSegment[] segments = view.Segments;
        for (int i = view.FloorSegment(offset); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (segment.BaseOffset >= upper)
            {
                break;
            }

            if (!segment.TryAcquire())
            {
                return false;
            }

            byte[]? buffer = null;
            try
            {
                long limit = segment.Size;
                long position = segment.FindBatch(offset, limit, out RecordBatchHeader first);
                if (position < 0)
                {
                    continue;
                }

                if (first.BaseOffset >= upper)
                {
                    break;
                }

                int want = (int)Math.Min(limit - position, Math.Max(maxBytes, first.TotalSize));
                buffer = ArrayPool<byte>.Shared.Rent(want);
                int read = ReadFully(segment, buffer.AsSpan(0, want), position);
                int length = CheckBatches(buffer.AsSpan(0, read), upper, out long nextOffset, out string? problem);
                if (Volatile.Read(ref _generation) != generation)
                {
                    return false;
                }

                if (length == 0 && problem is null)
                {
                    // The batch reaches past the bound (a high watermark set inside it): nothing to serve yet.
                    break;
                }

                if (length == 0)
                {
                    throw new CorruptRecordException(
                        $"Offset {offset} cannot be read from {segment.LogPath}: {problem ?? "no whole batch at its position"} (file position {position}).");
                }

                result = new LogReadResult(buffer, length, nextOffset, highWatermark, logStart, logEnd);
                buffer = null;
                return true;
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                segment.Release();
            }
        }

        result = new LogReadResult(null, 0, offset, highWatermark, logStart, logEnd);
        return Volatile.Read(ref _generation) == generation;
    }

    private static int ReadFully(LogSegment segment, Span<byte> destination, long position)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            int n = RandomAccess.Read(segment.Handle, destination[filled..], position + filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }

    /// <summary>
    /// Keeps the leading whole, CRC-valid batches below <paramref name="upper"/>; returns their length.
    /// <paramref name="problem"/> explains a stop caused by bad bytes.
    /// </summary>
    private static int CheckBatches(ReadOnlySpan<byte> data, long upper, out long nextOffset, out string? problem)
    {
        int position = 0;
        long previousLast = -1;
        nextOffset = -1;
        problem = null;
        while (data.Length - position >= HeaderSize)
        {
            ReadOnlySpan<byte> rest = data[position..];
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(rest[BatchLengthOffset..]);
            if (batchLength < HeaderSize - LogOverhead)
            {
                problem = $"batch at +{position} declares impossible batchLength {batchLength}";
                break;
            }

            if (batchLength > rest.Length - LogOverhead)
            {
                break; // cut by the byte budget: the next read starts there
            }

            ReadOnlySpan<byte> batch = rest[..(batchLength + LogOverhead)];
            if (batch[MagicOffset] != CurrentMagic)
            {
                problem = $"batch at +{position} has magic {batch[MagicOffset]}";
                break;
            }

            var header = RecordBatchHeader.Read(batch);
            if (header.LastOffset >= upper)
            {
                break;
            }

            if (RecordBatchHeader.ComputeCrc(batch) != header.Crc)
            {
                problem = $"batch at +{position} (offset {header.BaseOffset}) fails its CRC check";
                break;
            }

            if (header.BaseOffset <= previousLast)
            {
                problem = $"batch at +{position} has base offset {header.BaseOffset}, not after {previousLast}";
                break;
            }

            previousLast = header.LastOffset;
            nextOffset = header.LastOffset + 1;
            position += batch.Length;
        }

        return position;
    }
}
