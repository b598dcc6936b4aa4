using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4.Streams;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Format;

/// <summary>
/// Compressed batches, as Kafka producers send them: every codec is accepted and stored byte for byte as it came,
/// its records are checked against its header on the way in (a batch whose compressed records disagree with its
/// header, or do not decompress, is refused), and decompressing gives back exactly the records.
/// </summary>
public sealed class CompressedBatchTests
{
    public static TheoryData<CompressionType, bool> Codecs() => new()
    {
        { CompressionType.Gzip, false },
        { CompressionType.Snappy, false },
        { CompressionType.Snappy, true }, // xerial framing, as the Java client writes it
        { CompressionType.Lz4, false },
        { CompressionType.Zstd, false },
    };

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task A_compressed_batch_is_stored_as_it_came_and_its_records_read_back(CompressionType codec, bool xerial)
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();
        byte[] plain = Compressible(25);
        byte[] compressed = Compress(plain, codec, xerial);
        Assert.True(compressed.Length < plain.Length, "the test data should compress");

        AppendResult appended = await log.AppendAsync(compressed);
        Assert.Equal((0L, 24L), (appended.FirstOffset, appended.LastOffset));
        using LogReadResult read = log.Read(0, 1 << 20);
        RecordBatch stored = new(read.Batches.Span);
        Assert.Equal(codec, stored.Header.Compression);
        Assert.True(stored.RecordSection.SequenceEqual(compressed.AsSpan(61)), "stored as it came (only the base offset and epoch are stamped)");

        byte[] records = RecordDecompression.Decompress(codec, stored.RecordSection, out int length);
        try
        {
            Assert.True(records.AsSpan(0, length).SequenceEqual(plain.AsSpan(61)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(records);
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Compressed_records_that_disagree_with_the_header_or_do_not_decompress_are_refused(CompressionType codec)
    {
        using var fixture = new LogFixture();
        await using PartitionLog log = fixture.Open();

        // The header says 26 records; the compressed section holds 25 (CRC recomputed: only the content is wrong).
        byte[] lying = Compress(Compressible(25), codec, xerial: false);
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(57), 26);
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(23), 25);
        Restamp(lying);
        await Assert.ThrowsAnyAsync<LogException>(() => log.AppendAsync(lying).AsTask()); // corrupt or invalid: refused either way

        // Garbage where the compressed records should be.
        byte[] garbage = Compress(Batches.Deterministic(8, 5, valueSize: 50, Batches.T0), codec, xerial: false);
        new Random(1).NextBytes(garbage.AsSpan(61));
        Restamp(garbage);
        await Assert.ThrowsAnyAsync<LogException>(() => log.AppendAsync(garbage).AsTask());
        Assert.Equal(0, log.LogEndOffset); // nothing appended
    }

    [Fact]
    public void A_section_that_inflates_past_the_limit_is_refused()
    {
        byte[] zeros = new byte[1 << 20];
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(zeros);
        }

        Assert.Throws<InvalidRecordException>(() => RecordDecompression.Decompress(CompressionType.Gzip, compressed.ToArray(), out _, maxBytes: 64 * 1024));
    }

    /// <summary>Records with repetitive values and headers, as real payloads are (random bytes would not compress).</summary>
    private static byte[] Compressible(int count) =>
        Batches.Of([.. Enumerable.Range(0, count).Select(i => Batches.Record(Batches.T0 + i, $"key-{i % 5}", $"{{\"order\":{i},\"status\":\"{new string('x', 200)}\"}}", ("source", "test")))]);

    /// <summary>The batch with its record section compressed by <paramref name="codec"/>, its attributes, length and CRC set to match.</summary>
    private static byte[] Compress(byte[] plain, CompressionType codec, bool xerial)
    {
        byte[] records = plain[61..];
        byte[] section = codec switch
        {
            CompressionType.Gzip => Encode(records, output => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)),
            CompressionType.Lz4 => Encode(records, output => LZ4Stream.Encode(output, leaveOpen: true)),
            CompressionType.Zstd => Encode(records, output => new ZstdSharp.CompressionStream(output, leaveOpen: true)),
            _ when xerial => Xerial(records),
            _ => Snappier.Snappy.CompressToArray(records),
        };

        byte[] batch = [.. plain.AsSpan(0, 61), .. section];
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - 12);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), (short)((BinaryPrimitives.ReadInt16BigEndian(batch.AsSpan(21)) & ~0x07) | (int)codec));
        Restamp(batch);
        return batch;
    }

    private static byte[] Encode(byte[] data, Func<System.IO.Stream, System.IO.Stream> encoder)
    {
        using var output = new MemoryStream();
        using (System.IO.Stream stream = encoder(output))
        {
            stream.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>xerial's snappy framing: magic, version 1, compatible version 1, then length-prefixed blocks (two here).</summary>
    private static byte[] Xerial(byte[] data)
    {
        var output = new List<byte> { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 };
        int half = data.Length / 2;
        foreach (byte[] block in (byte[][])[Snappier.Snappy.CompressToArray(data.AsSpan(0, half)), Snappier.Snappy.CompressToArray(data.AsSpan(half))])
        {
            byte[] length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, block.Length);
            output.AddRange(length);
            output.AddRange(block);
        }

        return [.. output];
    }

    private static void Restamp(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), System.IO.Hashing.Crc32.HashToUInt32(System.IO.Hashing.Crc32ParameterSet.Crc32C, batch.AsSpan(21)));
}
