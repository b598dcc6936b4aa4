using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.Stream.Kafka.Protocol;

/// <summary>
/// Writes Kafka's primitive types into memory given to it (the socket pipe's, so a response of megabytes is written
/// once, where it is sent from) or into a growable buffer rented from the array pool (returned on dispose). A writer
/// that outgrows the memory it was given moves to a rented buffer (<see cref="InDestination"/> turns false).
/// </summary>
internal sealed class KafkaWriter : IDisposable
{
    private Memory<byte> _buffer;
    private byte[]? _rented;
    private int _length;

    public KafkaWriter(int capacity = 256)
    {
        _rented = ArrayPool<byte>.Shared.Rent(capacity);
        _buffer = _rented;
    }

    /// <summary>Writes into <paramref name="destination"/> for as long as it has room.</summary>
    public KafkaWriter(Memory<byte> destination) => _buffer = destination;

    public int Length => _length;

    /// <summary>True while everything written is in the memory given to the constructor.</summary>
    public bool InDestination => _rented is null;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.Span[.._length];

    public ReadOnlyMemory<byte> WrittenMemory => _buffer[.._length];

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.Span[.._length].CopyTo(larger);
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
            }

            _rented = larger;
            _buffer = larger;
        }

        Span<byte> span = _buffer.Span.Slice(_length, count);
        _length += count;
        return span;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    public void WriteBool(bool value) => Grow(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt8(sbyte value) => Grow(1)[0] = (byte)value;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Grow(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Grow(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Grow(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Grow(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Grow(8), value);

    public void WriteUuid(Guid value) => value.TryWriteBytes(Grow(16), bigEndian: true, out _);

    public void WriteUnsignedVarint(int value)
    {
        uint v = (uint)value;
        while (v >= 0x80)
        {
            Grow(1)[0] = (byte)(v | 0x80);
            v >>= 7;
        }

        Grow(1)[0] = (byte)v;
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact)
            {
                WriteUnsignedVarint(0);
            }
            else
            {
                WriteInt16(-1);
            }

            return;
        }

        int length = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarint(length + 1);
        }
        else
        {
            WriteInt16(checked((short)length));
        }

        Encoding.UTF8.GetBytes(value, Grow(length));
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        int length = value is { } bytes ? bytes.Length : -1;
        if (compact)
        {
            WriteUnsignedVarint(length + 1);
        }
        else
        {
            WriteInt32(length);
        }

        if (value is { } written)
        {
            WriteRaw(written.Span);
        }
    }

    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint(count + 1);
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>Leaves room for an int32 written later with <see cref="PatchInt32"/> (a frame's size); returns its position.</summary>
    public int ReserveInt32()
    {
        Grow(4);
        return _length - 4;
    }

    public void PatchInt32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.Span.Slice(position, 4), value);

    public void Dispose()
    {
        byte[]? rented = _rented;
        _rented = null;
        _buffer = default;
        _length = 0;
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
