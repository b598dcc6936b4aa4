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

    private static ProducerBatch? Take(PartitionAccumulator accumulator, bool flush = true) =>
        accumulator.TakeReady(Environment.TickCount64 + 1, TimeSpan.Zero, flush, out _);

    private static RecordBatchHeader HeaderOf(ProducerBatch batch) => RecordBatchHeader.Read(batch.Bytes.Span);

    private static PartitionAccumulator Filled(long producerId, int records, int maxInFlight = 5)
    {
        var accumulator = new PartitionAccumulator(Partition, batchSize: 4096, maxInFlight, producerId);
        for (int i = 0; i < records; i++)
        {
            accumulator.Append(i, null, new byte[1000], default, 1000 + RecordBatchBuilder.MaxDeltaGrowth, out _);
        }

        return accumulator;
    }

    [Fact]
    public void Without_idempotence_the_accumulator_seals_at_the_size_limit_and_sends_one_batch_at_a_time_in_order()
    {
        PartitionAccumulator accumulator = Filled(producerId: -1, records: 10);
        ProducerBatch? first = accumulator.TakeReady(Environment.TickCount64, TimeSpan.FromHours(1), flush: false, out _);
        Assert.NotNull(first);
        Assert.True(first.SizeInBytes <= 4096);
        Assert.Equal(-1, HeaderOf(first).ProducerId);
        Assert.Null(Take(accumulator)); // one in flight per partition

        Assert.True(accumulator.OnSent(first, SendOutcome.Acknowledged, 0));
        int records = first.RecordCount;
        int batches = 1;
        while (Take(accumulator) is { } next)
        {
            records += next.RecordCount;
            batches++;
            Assert.True(next.SizeInBytes <= 4096);
            Assert.True(accumulator.OnSent(next, SendOutcome.Acknowledged, 0));
        }

        Assert.Equal(10, records);
        Assert.True(batches >= 3);
        Assert.True(accumulator.IsEmpty);
    }

    [Fact]
    public void With_idempotence_up_to_the_limit_is_in_flight_and_each_batch_continues_the_sequence()
    {
        PartitionAccumulator accumulator = Filled(producerId: 77, records: 20, maxInFlight: 3);
        var sent = new List<ProducerBatch>();
        while (Take(accumulator) is { } batch)
        {
            sent.Add(batch);
        }

        Assert.Equal(3, sent.Count);
        int sequence = 0;
        foreach (ProducerBatch batch in sent)
        {
            RecordBatchHeader header = HeaderOf(batch);
            Assert.Equal((77L, (short)0, sequence), (header.ProducerId, header.ProducerEpoch, header.BaseSequence));
            sequence += header.RecordCount;
        }

        // Answers may come in any order, but the window only moves once the oldest batch is acknowledged: the
        // leader remembers a producer's last few batches, and a retry of the oldest must still be recognised.
        Assert.True(accumulator.OnSent(sent[1], SendOutcome.Acknowledged, 0));
        Assert.True(accumulator.OnSent(sent[2], SendOutcome.Acknowledged, 0));
        Assert.Null(Take(accumulator));
        Assert.True(accumulator.OnSent(sent[0], SendOutcome.Acknowledged, 0));
        Assert.NotNull(Take(accumulator));
        Assert.NotNull(Take(accumulator));
        Assert.NotNull(Take(accumulator));
        Assert.Null(Take(accumulator));
    }

    [Fact]
    public void After_a_failure_nothing_new_is_sent_until_all_in_flight_answered_then_the_rest_goes_again_in_order()
    {
        PartitionAccumulator accumulator = Filled(producerId: 5, records: 20);
        ProducerBatch a = Take(accumulator)!, b = Take(accumulator)!, c = Take(accumulator)!;

        Assert.False(accumulator.OnSent(a, SendOutcome.Retry, retryNotBefore: 0));
        Assert.Null(Take(accumulator)); // b and c still in flight
        Assert.False(accumulator.OnSent(c, SendOutcome.SequenceRejected, 0)); // c overtook a
        Assert.Null(Take(accumulator));
        Assert.False(accumulator.OnSent(b, SendOutcome.SequenceRejected, 0));

        Assert.Same(a, Take(accumulator));
        Assert.Same(b, Take(accumulator));
        Assert.Same(c, Take(accumulator));
        Assert.Equal(2, a.Attempts);
        Assert.Equal(0, HeaderOf(a).BaseSequence); // same numbers: the leader recognises a retry
        Assert.False(accumulator.TryBeginProducerIdChange());
    }

    [Fact]
    public void A_retry_waits_for_its_backoff_and_nothing_overtakes_it()
    {
        PartitionAccumulator accumulator = Filled(producerId: 5, records: 20);
        ProducerBatch a = Take(accumulator)!;
        long later = Environment.TickCount64 + 60_000;
        Assert.False(accumulator.OnSent(a, SendOutcome.Retry, later));
        Assert.Null(accumulator.TakeReady(Environment.TickCount64, TimeSpan.Zero, flush: true, out TimeSpan wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(61));
        Assert.Same(a, accumulator.TakeReady(later, TimeSpan.Zero, flush: true, out _));
    }

    [Fact]
    public void A_batch_that_fails_for_good_breaks_the_sequence_and_the_rest_is_renumbered_under_a_new_producer_id()
    {
        PartitionAccumulator accumulator = Filled(producerId: 5, records: 20);
        ProducerBatch a = Take(accumulator)!, b = Take(accumulator)!;
        int bRecords = b.RecordCount;

        Assert.True(accumulator.OnSent(a, SendOutcome.Failed, 0));
        Assert.False(accumulator.TryBeginProducerIdChange()); // b still in flight
        Assert.False(accumulator.OnSent(b, SendOutcome.SequenceRejected, 0));
        Assert.Null(Take(accumulator));
        Assert.True(accumulator.TryBeginProducerIdChange());
        Assert.False(accumulator.TryBeginProducerIdChange()); // asked once

        accumulator.UseProducerId(900);
        Assert.Same(b, Take(accumulator));
        ProducerBatch next = Take(accumulator)!;
        Assert.Equal((900L, 0), (HeaderOf(b).ProducerId, HeaderOf(b).BaseSequence));
        Assert.Equal((900L, bRecords), (HeaderOf(next).ProducerId, HeaderOf(next).BaseSequence));
        Assert.Equal(RecordBatchHeader.ComputeCrc(b.Bytes.Span), HeaderOf(b).Crc); // still a valid batch
    }

    [Fact]
    public void A_sequence_refusal_with_nothing_before_it_outstanding_means_the_leader_lost_the_producer()
    {
        PartitionAccumulator accumulator = Filled(producerId: 5, records: 20);
        ProducerBatch a = Take(accumulator)!;
        Assert.False(accumulator.OnSent(a, SendOutcome.SequenceRejected, 0));
        Assert.True(accumulator.TryBeginProducerIdChange());
        accumulator.UseProducerId(6);
        Assert.Same(a, Take(accumulator));
        Assert.Equal((6L, 0), (HeaderOf(a).ProducerId, HeaderOf(a).BaseSequence));
    }

    [Fact]
    public void A_batch_refused_because_it_overtook_an_earlier_one_in_transit_is_just_sent_again()
    {
        PartitionAccumulator accumulator = Filled(producerId: 5, records: 20);
        ProducerBatch a = Take(accumulator)!, b = Take(accumulator)!;
        Assert.True(accumulator.OnSent(a, SendOutcome.Acknowledged, 0)); // a arrived second but was answered first
        Assert.False(accumulator.OnSent(b, SendOutcome.SequenceRejected, 0));
        Assert.False(accumulator.TryBeginProducerIdChange());
        Assert.Same(b, Take(accumulator));
        Assert.Equal((5L, a.RecordCount), (HeaderOf(b).ProducerId, HeaderOf(b).BaseSequence));
    }

    [Fact]
    public void A_batch_that_is_not_full_waits_while_another_is_in_flight_so_it_fills()
    {
        var accumulator = new PartitionAccumulator(Partition, batchSize: 1 << 20, maxInFlight: 5, producerId: 3);
        accumulator.Append(1, null, new byte[10], default, 64, out _);
        ProducerBatch first = Take(accumulator, flush: false)!;
        accumulator.Append(2, null, new byte[10], default, 64, out _);
        Assert.Null(Take(accumulator, flush: false)); // lingered long enough, but the first is still travelling
        accumulator.Append(3, null, new byte[10], default, 64, out _);
        Assert.True(accumulator.OnSent(first, SendOutcome.Acknowledged, 0));
        Assert.Equal(2, Take(accumulator, flush: false)!.RecordCount);
    }

    [Fact]
    public void An_open_batch_waits_for_linger_unless_flushed()
    {
        var accumulator = new PartitionAccumulator(Partition, batchSize: 1 << 20, maxInFlight: 5, producerId: -1);
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
