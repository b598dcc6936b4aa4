using System.Buffers.Binary;
using System.Text;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Format;

public sealed class RecordBatchBuilderTests
{
    /// <summary>Bit-by-bit CRC-32C (reflected polynomial 0x82F63B78): an implementation independent of System.IO.Hashing.</summary>
    private static uint ReferenceCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }

    [Fact]
    public void Crc32c_check_value()
    {
        Assert.Equal(0xE3069283u, ReferenceCrc32C("123456789"u8));
        Assert.Equal(0xE3069283u, Storage.Format.Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void One_record_batch_matches_hand_computed_bytes()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1_700_000_000_000, "k"u8.ToArray(), "v"u8.ToArray());
        byte[] actual = builder.Build().ToArray();

        // record: length 9 bytes follow → zigzag(8)=0x10 | attributes 0 | tsDelta 0 | offsetDelta 0
        //         | keyLen zigzag(1)=0x02 'k' | valueLen 0x02 'v' | headers 0
        byte[] record = [0x10, 0x00, 0x00, 0x00, 0x02, 0x6B, 0x02, 0x76, 0x00];
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 0,                        // baseOffset 0
            0, 0, 0, 58,                                   // batchLength = 61 + 9 - 12
            0xFF, 0xFF, 0xFF, 0xFF,                        // partitionLeaderEpoch -1
            2,                                             // magic
            0, 0, 0, 0,                                    // crc (filled below)
            0, 0,                                          // attributes: no compression, CreateTime
            0, 0, 0, 0,                                    // lastOffsetDelta 0
            0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // baseTimestamp 1700000000000
            0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // maxTimestamp
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producerId -1
            0xFF, 0xFF,                                    // producerEpoch -1
            0xFF, 0xFF, 0xFF, 0xFF,                        // baseSequence -1
            0, 0, 0, 1,                                    // recordCount 1
            .. record,
        ];
        BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(17), ReferenceCrc32C(expected.AsSpan(21)));

        Assert.Equal(70, actual.Length);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
    }

    [Fact]
    public void Nulls_empties_headers_and_negative_deltas_survive_a_round_trip()
    {
        TestRecord[] input =
        [
            Batches.Record(Batches.T0 + 5, null, "value-only"),
            Batches.Record(Batches.T0, "key-only", null),
            Batches.Record(Batches.T0 - 1000, "", ""),
            Batches.Record(Batches.T0 + 7, null, null, ("h", "1"), ("h", null), ("clé", "ü")),
        ];

        byte[] batch = Batches.Of(input);
        var header = RecordBatchHeader.Read(batch);
        Assert.Equal(4, header.RecordCount);
        Assert.Equal(3, header.LastOffsetDelta);
        Assert.Equal(Batches.T0 + 5, header.BaseTimestamp);
        Assert.Equal(Batches.T0 + 7, header.MaxTimestamp);
        Assert.True(new RecordBatch(batch).IsCrcValid);

        List<TestRecord> output = Batches.Decode(batch);
        Assert.Equal(input.Length, output.Count);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.Equal(i, output[i].Offset);
            Assert.True(input[i].SameContentAs(output[i]), $"record {i} differs");
        }

        Assert.Null(output[0].Key);
        Assert.NotNull(output[2].Key);
        Assert.Empty(output[2].Key!);
    }

    [Fact]
    public void Idempotence_fields_are_written()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 123456789012, ProducerEpoch = 7, BaseSequence = 42, IsTransactional = true };
        builder.Append(Batches.T0, "a"u8, "b"u8);
        var header = RecordBatchHeader.Read(builder.Build().Span);
        Assert.Equal(123456789012, header.ProducerId);
        Assert.Equal(7, header.ProducerEpoch);
        Assert.Equal(42, header.BaseSequence);
        Assert.True(header.IsTransactional);
    }

    [Fact]
    public void Reset_reuses_the_buffer_for_a_new_batch_and_large_records_grow_it()
    {
        using var builder = new RecordBatchBuilder(initialCapacity: 64);
        builder.Append(Batches.T0, "k"u8, new byte[100_000]);
        Assert.Equal(100_000, Batches.Decode(builder.Build().Span).Single().Value!.Length);

        builder.Reset();
        builder.Append(Batches.T0, "k2"u8, Encoding.UTF8.GetBytes("small"));
        TestRecord only = Batches.Decode(builder.Build().Span).Single();
        Assert.Equal("small", Encoding.UTF8.GetString(only.Value!));
        Assert.Throws<InvalidOperationException>(() => builder.Append(Batches.T0, "x"u8, "y"u8));
    }

    [Fact]
    public void Null_arrays_and_null_memory_are_written_as_null_not_empty()
    {
        using var builder = new RecordBatchBuilder();
        byte[]? nullArray = null;
        builder.Append(Batches.T0, nullArray, nullArray);
        builder.Append(Batches.T0, (ReadOnlyMemory<byte>?)null, (ReadOnlyMemory<byte>?)ReadOnlyMemory<byte>.Empty);
        List<TestRecord> records = Batches.Decode(builder.Build().Span);
        Assert.Null(records[0].Key);
        Assert.Null(records[0].Value);
        Assert.Null(records[1].Key);
        Assert.NotNull(records[1].Value);
    }

    [Fact]
    public void Empty_batch_cannot_be_built() =>
        Assert.Throws<InvalidOperationException>(() => new RecordBatchBuilder().Build());
}
