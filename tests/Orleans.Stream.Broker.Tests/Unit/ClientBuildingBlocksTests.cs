using Orleans.Stream.Client.Consuming;
using System.Buffers.Binary;
using System.Text;
using Orleans.Stream.Client;
using Orleans.Stream.Client.Producing;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class ClientBuildingBlocksTests
{
    private static readonly TopicPartition Partition = new("t", 0);

    [Fact]
    public void The_accumulator_seals_batches_at_the_size_limit_and_sends_one_at_a_time_in_order()
    {
        var accumulator = new PartitionAccumulator(Partition, batchSize: 4096);
        var value = new byte[1000];
        int sealedCount = 0;
        for (int i = 0; i < 10; i++)
        {
            accumulator.Append(i, null, value, default, 1000 + RecordBatchBuilder.MaxDeltaGrowth, out bool sealedOne);
            sealedCount += sealedOne ? 1 : 0;
        }

        Assert.True(sealedCount >= 2);
        ProducerBatch? first = accumulator.TakeReady(Environment.TickCount64, TimeSpan.FromHours(1), flush: false, out _);
        Assert.NotNull(first);
        Assert.True(first.SizeInBytes <= 4096);
        Assert.Null(accumulator.TakeReady(Environment.TickCount64, TimeSpan.Zero, flush: true, out _)); // one in flight per partition

        accumulator.Completed();
        int records = first.RecordCount;
        while (accumulator.TakeReady(Environment.TickCount64, TimeSpan.Zero, flush: true, out _) is { } next)
        {
            records += next.RecordCount;
            Assert.True(next.SizeInBytes <= 4096);
            accumulator.Completed();
        }

        Assert.Equal(10, records);
        Assert.True(accumulator.IsEmpty);
    }

    [Fact]
    public void An_open_batch_waits_for_linger_unless_flushed()
    {
        var accumulator = new PartitionAccumulator(Partition, batchSize: 1 << 20);
        accumulator.Append(1, null, new byte[10], default, 64, out _);
        Assert.Null(accumulator.TakeReady(Environment.TickCount64, TimeSpan.FromMinutes(1), flush: false, out TimeSpan wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
        Assert.NotNull(accumulator.TakeReady(Environment.TickCount64, TimeSpan.FromMinutes(1), flush: true, out _));
    }

    [Fact]
    public async Task A_batch_completes_every_record_with_its_own_offset()
    {
        using var batch = new ProducerBatch(Partition, 4096);
        ValueTask<DeliveryResult> first = batch.Append(100, null, "a"u8.ToArray(), default);
        ValueTask<DeliveryResult> second = batch.Append(200, null, "b"u8.ToArray(), default);
        batch.Seal();
        batch.Complete(baseOffset: 41);
        Assert.Equal(new DeliveryResult("t", 0, 41, 100), await first);
        Assert.Equal(new DeliveryResult("t", 0, 42, 200), await second);
    }

    [Fact]
    public void Fetched_records_start_at_the_asked_offset_inside_a_batch_and_run_across_batches()
    {
        byte[] batches = [.. Batch(baseOffset: 10, "a", "b", "c"), .. Batch(baseOffset: 13, "d", "e")];
        var fetched = new FetchedRecords(Partition, batches, fromOffset: 11, nextOffset: 15);
        var seen = new List<(long, string)>();
        foreach (Storage.Record record in fetched)
        {
            seen.Add((record.Offset, Encoding.UTF8.GetString(record.Value)));
        }

        Assert.Equal([(11L, "b"), (12L, "c"), (13L, "d"), (14L, "e")], seen);
    }

    [Fact]
    public void A_fetched_batch_whose_bytes_do_not_match_its_crc_is_refused_before_any_record_is_delivered()
    {
        byte[] batches = [.. Batch(baseOffset: 10, "a", "b"), .. Batch(baseOffset: 12, "c", "d")];
        Assert.True(FetchedChunk.Scan(Partition, batches, 10, checkCrcs: true, out long next));
        Assert.Equal(14, next);

        batches[^1] ^= 0x20; // one bit of the last record's value, inside the second batch's CRC
        var error = Assert.Throws<OrleansStreamException>(() => FetchedChunk.Scan(Partition, batches, 10, checkCrcs: true, out _));
        Assert.Equal(ErrorCode.CorruptMessage, error.Code);
        Assert.Contains("offset 12", error.Message);

        // With check.crcs=false the consumer trusts the bytes.
        Assert.True(FetchedChunk.Scan(Partition, batches, 10, checkCrcs: false, out _));
    }

    private static byte[] Batch(long baseOffset, params string[] values)
    {
        using var builder = new RecordBatchBuilder();
        foreach (string value in values)
        {
            builder.Append(1_700_000_000_000, null, Encoding.UTF8.GetBytes(value));
        }

        byte[] bytes = builder.Build().ToArray();
        BinaryPrimitives.WriteInt64BigEndian(bytes, baseOffset); // outside the CRC, as the log stamps it
        return bytes;
    }
}
