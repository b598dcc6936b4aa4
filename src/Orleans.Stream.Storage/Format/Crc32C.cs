using System.IO.Hashing;

namespace Orleans.Stream.Storage.Format;

/// <summary>CRC-32C (Castagnoli), the checksum of RecordBatch v2. Hardware-accelerated by System.IO.Hashing.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
}
