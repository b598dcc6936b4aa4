using FsCheck.Xunit;
using Orleans.Stream.Storage.Format;

namespace Orleans.Stream.Storage.Tests.Format;

public sealed class VarintTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(-2, new byte[] { 0x03 })]
    [InlineData(63, new byte[] { 0x7E })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(-65, new byte[] { 0x81, 0x01 })]
    [InlineData(300, new byte[] { 0xD8, 0x04 })]
    [InlineData(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Int32_encodes_as_kafka_zigzag_varint(int value, byte[] expected)
    {
        Span<byte> buffer = stackalloc byte[5];
        int n = Varint.Write(buffer, value);
        Assert.Equal(expected, buffer[..n].ToArray());
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.True(Varint.TryReadInt32(expected, out int decoded, out int read));
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, read);
    }

    [Fact]
    public void Int64_extremes_take_ten_bytes_and_round_trip()
    {
        Span<byte> buffer = stackalloc byte[10];
        foreach (long value in new[] { long.MaxValue, long.MinValue })
        {
            int n = Varint.Write(buffer, value);
            Assert.Equal(10, n);
            Assert.True(Varint.TryReadInt64(buffer[..n], out long decoded, out _));
            Assert.Equal(value, decoded);
        }
    }

    [Fact]
    public void Overlong_or_cut_varints_are_rejected()
    {
        Assert.False(Varint.TryReadInt32([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out _, out _));
        Assert.False(Varint.TryReadInt32([0xFF, 0xFF, 0xFF, 0xFF, 0x1F], out _, out _));
        Assert.False(Varint.TryReadInt32([0x80], out _, out _));
        Assert.False(Varint.TryReadInt64([0x80, 0x80], out _, out _));
    }

    [Property]
    public bool Int32_round_trips(int value)
    {
        Span<byte> buffer = stackalloc byte[5];
        int n = Varint.Write(buffer, value);
        return n == Varint.SizeOf(value) && Varint.TryReadInt32(buffer[..n], out int decoded, out int read) && decoded == value && read == n;
    }

    [Property]
    public bool Int64_round_trips(long value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = Varint.Write(buffer, value);
        return n == Varint.SizeOf(value) && Varint.TryReadInt64(buffer[..n], out long decoded, out int read) && decoded == value && read == n;
    }
}
