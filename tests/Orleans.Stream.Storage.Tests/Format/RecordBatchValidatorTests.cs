using System.Buffers.Binary;
using Orleans.Stream.Storage.Format;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Format;

public sealed class RecordBatchValidatorTests
{
    private static byte[] Good() => Batches.Of(Batches.Record(Batches.T0, "k", "value"), Batches.Record(Batches.T0 + 1, "k2", "value2"));

    private static void Validate(byte[] bytes, int max = 1_000_000) => RecordBatchValidator.Validate(bytes, max, OffsetRule.AssignOnAppend);

    [Fact]
    public void Accepts_several_concatenated_batches()
    {
        byte[] two = [.. Good(), .. Good()];
        BatchSetSummary summary = RecordBatchValidator.Validate(two, 1_000_000, OffsetRule.AssignOnAppend);
        Assert.Equal(2, summary.BatchCount);
        Assert.Equal(4, summary.RecordCount);
        Assert.Equal(4, summary.OffsetCount);
    }

    [Fact]
    public void A_flipped_payload_bit_fails_the_crc_with_a_clear_message()
    {
        byte[] bad = Good();
        bad[^3] ^= 0x01;
        var error = Assert.Throws<CorruptRecordException>(() => Validate(bad));
        Assert.Contains("CRC", error.Message);
        Assert.Equal(2, error.KafkaErrorCode);
    }

    [Fact]
    public void Wrong_magic_is_refused()
    {
        byte[] bad = Good();
        bad[16] = 1;
        var error = Assert.Throws<CorruptRecordException>(() => Validate(bad));
        Assert.Contains("magic 1", error.Message);
    }

    [Fact]
    public void Oversized_batch_is_refused_with_its_size()
    {
        byte[] batch = Good();
        var error = Assert.Throws<RecordTooLargeException>(() => Validate(batch, max: batch.Length - 1));
        Assert.Equal(batch.Length, error.BatchBytes);
        Assert.Contains("max.message.bytes", error.Message);
    }

    [Fact]
    public void Cut_batches_and_impossible_lengths_are_refused()
    {
        byte[] batch = Good();
        Assert.Throws<CorruptRecordException>(() => Validate(batch[..^1]));
        Assert.Throws<CorruptRecordException>(() => Validate(batch[..30]));
        byte[] lying = Good();
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(8), 10);
        Assert.Throws<CorruptRecordException>(() => Validate(lying));
        Assert.Throws<InvalidRecordException>(() => Validate([]));
    }

    [Fact]
    public void Header_that_disagrees_with_records_is_refused_even_with_a_valid_crc()
    {
        byte[] batch = Good();
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), 3); // recordCount 3, but 2 records
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), 2);
        Reseal(batch);
        Assert.Throws<CorruptRecordException>(() => Validate(batch));

        byte[] maxTs = Good();
        BinaryPrimitives.WriteInt64BigEndian(maxTs.AsSpan(35), Batches.T0 + 99);
        Reseal(maxTs);
        Assert.Contains("maxTimestamp", Assert.Throws<InvalidRecordException>(() => Validate(maxTs)).Message);
    }

    private static void Reseal(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), RecordBatchHeader.ComputeCrc(batch));
}
