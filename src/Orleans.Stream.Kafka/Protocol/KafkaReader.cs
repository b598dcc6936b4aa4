using System.Buffers.Binary;
using System.Text;

namespace Orleans.Stream.Kafka.Protocol;

/// <summary>
/// Reads Kafka's primitive types from one request frame. Bytes fields (record batches above all) come back as
/// slices of the frame, not copies. Anything that runs past the frame or is negative where it may not be throws
/// <see cref="KafkaProtocolException"/>, so a hostile frame costs its connection, never the broker.
/// </summary>
internal struct KafkaReader(ReadOnlyMemory<byte> frame)
{
    private readonly ReadOnlyMemory<byte> _frame = frame;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _frame.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new KafkaProtocolException($"the frame ends {count - Remaining} bytes early (at byte {_position} of {_frame.Length}).");
        }

        ReadOnlySpan<byte> span = _frame.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    public void Skip(int count) => Take(count);

    public bool ReadBool() => Take(1)[0] != 0;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Kafka's UUID: Java's most significant then least significant long, i.e. big-endian bytes.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    public int ReadUnsignedVarint()
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value > int.MaxValue ? throw new KafkaProtocolException($"unsigned varint {value} is out of range.") : (int)value;
            }
        }

        throw new KafkaProtocolException("an unsigned varint runs past 5 bytes.");
    }

    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new KafkaProtocolException($"a null string where none may be (at byte {_position}).");

    public string? ReadNullableString(bool compact)
    {
        int length = compact ? ReadUnsignedVarint() - 1 : ReadInt16();
        if (length < 0)
        {
            return length == -1 ? null : throw new KafkaProtocolException($"string length {length}.");
        }

        return Encoding.UTF8.GetString(Take(length));
    }

    public ReadOnlyMemory<byte> ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new KafkaProtocolException($"null bytes where none may be (at byte {_position}).");

    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact)
    {
        int length = compact ? ReadUnsignedVarint() - 1 : ReadInt32();
        if (length < 0)
        {
            return length == -1 ? null : throw new KafkaProtocolException($"bytes length {length}.");
        }

        int start = _position;
        Take(length);
        return _frame.Slice(start, length);
    }

    /// <summary>An array's element count; -1 for a null array.</summary>
    public int ReadArrayLength(bool compact)
    {
        int count = compact ? ReadUnsignedVarint() - 1 : ReadInt32();
        return count < -1 ? throw new KafkaProtocolException($"array length {count}.") : count;
    }
}
