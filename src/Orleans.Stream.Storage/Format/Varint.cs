using System.Runtime.CompilerServices;

namespace Orleans.Stream.Storage.Format;

/// <summary>
/// Kafka's variable-length integers: zig-zag encoded (so small negative numbers stay short), then base-128
/// little-endian groups with the high bit as "more follows" (protobuf's varint). Ints take at most 5 bytes, longs 10.
/// </summary>
internal static class Varint
{
    public const int MaxInt32Bytes = 5;
    public const int MaxInt64Bytes = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(int value) => SizeOfUnsigned((uint)((value << 1) ^ (value >> 31)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(long value) => SizeOfUnsigned((ulong)((value << 1) ^ (value >> 63)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SizeOfUnsigned(ulong value)
    {
        // 1 byte per 7 significant bits; 0 still takes one byte.
        int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1);
        return (bits + 6) / 7;
    }

    /// <summary>Writes <paramref name="value"/> zig-zag encoded; returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, int value) =>
        WriteUnsigned(destination, (uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes <paramref name="value"/> zig-zag encoded; returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, long value) =>
        WriteUnsigned(destination, (ulong)((value << 1) ^ (value >> 63)));

    private static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Reads a zig-zag int. False when the input ends early or the varint is longer than 5 bytes.</summary>
    public static bool TryReadInt32(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        uint result = 0;
        int shift = 0;
        for (int i = 0; i < MaxInt32Bytes && i < source.Length; i++)
        {
            byte b = source[i];
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                // The 5th byte may only carry the top 4 bits of a 32-bit value.
                if (i == MaxInt32Bytes - 1 && b > 0x0F)
                {
                    break;
                }

                value = (int)(result >> 1) ^ -(int)(result & 1);
                bytesRead = i + 1;
                return true;
            }

            shift += 7;
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>Reads a zig-zag long. False when the input ends early or the varint is longer than 10 bytes.</summary>
    public static bool TryReadInt64(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        ulong result = 0;
        int shift = 0;
        for (int i = 0; i < MaxInt64Bytes && i < source.Length; i++)
        {
            byte b = source[i];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (i == MaxInt64Bytes - 1 && b > 0x01)
                {
                    break;
                }

                value = (long)(result >> 1) ^ -(long)(result & 1);
                bytesRead = i + 1;
                return true;
            }

            shift += 7;
        }

        value = 0;
        bytesRead = 0;
        return false;
    }
}
