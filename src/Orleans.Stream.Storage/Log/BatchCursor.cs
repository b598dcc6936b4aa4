using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage.Log;

/// <summary>What <see cref="BatchCursor.TryRead"/> found at a position.</summary>
internal enum BatchStatus
{
    /// <summary>A whole batch (checked as asked).</summary>
    Ok,

    /// <summary>The position is the limit: nothing more to read.</summary>
    End,

    /// <summary>Fewer bytes remain than the header or the declared batch length needs: a torn tail.</summary>
    Incomplete,

    /// <summary>The bytes cannot be a batch: impossible length, wrong magic, CRC mismatch.</summary>
    Corrupt,
}

/// <summary>
/// Reads batches from a segment file through a pooled buffer: one positional read fetches many small batches, and
/// a batch larger than the buffer gets a bigger rented one. Used by recovery, index rebuilds and read-path lookups.
/// </summary>
internal sealed class BatchCursor : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _limit;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public BatchCursor(SafeFileHandle handle, long limit, int bufferSize)
    {
        _handle = handle;
        _limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, HeaderSize));
        _bufferStart = 0;
        _bufferLength = 0;
    }

    /// <summary>
    /// Reads the batch starting at <paramref name="position"/>. On <see cref="BatchStatus.Ok"/>, <paramref name="batch"/>
    /// holds its bytes until the next call; on <see cref="BatchStatus.Corrupt"/> or <see cref="BatchStatus.Incomplete"/>,
    /// <paramref name="problem"/> says what is wrong.
    /// </summary>
    public BatchStatus TryRead(long position, bool verifyCrc, out ReadOnlySpan<byte> batch, out string? problem)
    {
        batch = default;
        BatchStatus status = TryReadHeader(position, out _, out long size, out problem);
        if (status != BatchStatus.Ok)
        {
            return status;
        }

        if (!Fill(position, (int)size))
        {
            problem = $"batch at position {position} could not be read whole ({size} bytes); the file is shorter than expected";
            return BatchStatus.Incomplete;
        }

        batch = Buffered(position, (int)size);
        if (verifyCrc)
        {
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]);
            uint computed = RecordBatchHeader.ComputeCrc(batch);
            if (stored != computed)
            {
                problem = $"batch at position {position} fails its CRC check (stored 0x{stored:x8}, computed 0x{computed:x8})";
                batch = default;
                return BatchStatus.Corrupt;
            }
        }

        return BatchStatus.Ok;
    }

    /// <summary>
    /// Reads only the fixed header of the batch at <paramref name="position"/> and checks that the whole batch fits
    /// before the limit; <paramref name="size"/> is the batch's total size. The header bytes stay valid until the next call.
    /// </summary>
    public BatchStatus TryReadHeader(long position, out ReadOnlySpan<byte> header, out long size, out string? problem)
    {
        header = default;
        size = 0;
        problem = null;
        long remaining = _limit - position;
        if (remaining <= 0)
        {
            return BatchStatus.End;
        }

        if (remaining < HeaderSize || !Fill(position, HeaderSize))
        {
            problem = $"only {remaining} bytes remain at position {position}, less than a batch header";
            return BatchStatus.Incomplete;
        }

        header = Buffered(position, HeaderSize);
        int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[BatchLengthOffset..]);
        if (batchLength < HeaderSize - LogOverhead)
        {
            problem = $"batch at position {position} declares impossible batchLength {batchLength}";
            return BatchStatus.Corrupt;
        }

        if (header[MagicOffset] != CurrentMagic)
        {
            problem = $"batch at position {position} has magic {header[MagicOffset]}, expected {CurrentMagic}";
            return BatchStatus.Corrupt;
        }

        size = (long)batchLength + LogOverhead;
        if (size > remaining)
        {
            problem = $"batch at position {position} declares {size} bytes but only {remaining} remain";
            return BatchStatus.Incomplete;
        }

        return BatchStatus.Ok;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ReadOnlySpan<byte> Buffered(long position, int length) =>
        _buffer.AsSpan((int)(position - _bufferStart), length);

    /// <summary>Makes [position, position+length) available in the buffer; false if the file ends first.</summary>
    private bool Fill(long position, int length)
    {
        if (position >= _bufferStart && position + length <= _bufferStart + _bufferLength)
        {
            return true;
        }

        if (length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(length);
        }

        int want = (int)Math.Min(_buffer.Length, _limit - position);
        int filled = 0;
        while (filled < want)
        {
            int n = RandomAccess.Read(_handle, _buffer.AsSpan(filled, want - filled), position + filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        _bufferStart = position;
        _bufferLength = filled;
        return filled >= length;
    }
}
