using Orleans.Stream.Storage.Log;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>Kafka's idempotent-producer sequence rules, as the log's writer applies them to each batch.</summary>
public sealed class ProducerStateTableTests
{
    private const long Producer = 42;

    [Fact]
    public void Batches_without_a_producer_id_are_always_appended()
    {
        var table = new ProducerStateTable();
        Assert.Equal(SequenceVerdict.Append, table.Check(-1, -1, -1, -1, out _, out _));
        table.Record(-1, -1, new ProducedBatch(-1, -1, 0, 9));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_new_producer_starts_at_sequence_zero_and_continues_record_by_record()
    {
        var table = new ProducerStateTable();
        Assert.Equal(SequenceVerdict.UnknownProducer, table.Check(Producer, 0, 5, 9, out _, out _));
        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, 0, 9, out _, out _));
        table.Record(Producer, 0, new ProducedBatch(0, 9, 100, 109));

        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, 10, 14, out _, out _));
        table.Record(Producer, 0, new ProducedBatch(10, 14, 110, 114));
        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, 15, 15, out _, out _));
    }

    [Fact]
    public void A_retry_of_one_of_the_last_five_batches_is_answered_with_its_offsets_and_an_older_one_is_refused()
    {
        var table = new ProducerStateTable();
        for (int b = 0; b < 7; b++)
        {
            Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, b * 10, (b * 10) + 9, out _, out _));
            table.Record(Producer, 0, new ProducedBatch(b * 10, (b * 10) + 9, 1000 + (b * 10), 1000 + (b * 10) + 9));
        }

        for (int b = 2; b < 7; b++)
        {
            Assert.Equal(SequenceVerdict.Duplicate, table.Check(Producer, 0, b * 10, (b * 10) + 9, out ProducedBatch original, out _));
            Assert.Equal(new ProducedBatch(b * 10, (b * 10) + 9, 1000 + (b * 10), 1000 + (b * 10) + 9), original);
        }

        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(Producer, 0, 10, 19, out _, out int expected));
        Assert.Equal(70, expected);
    }

    [Fact]
    public void A_batch_that_overtook_a_failed_one_is_refused_until_the_gap_is_filled()
    {
        var table = new ProducerStateTable();
        table.Record(Producer, 0, new ProducedBatch(0, 9, 0, 9));

        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(Producer, 0, 20, 29, out _, out int expected));
        Assert.Equal(10, expected);
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(Producer, 0, 5, 14, out _, out _)); // overlaps, not a retry

        table.Record(Producer, 0, new ProducedBatch(10, 19, 10, 19));
        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, 20, 29, out _, out _));
    }

    [Fact]
    public void An_older_epoch_is_fenced_and_a_newer_one_starts_its_sequence_again()
    {
        var table = new ProducerStateTable();
        table.Record(Producer, 3, new ProducedBatch(0, 9, 0, 9));

        Assert.Equal(SequenceVerdict.Fenced, table.Check(Producer, 2, 10, 19, out _, out _));
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(Producer, 4, 10, 19, out _, out _));
        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 4, 0, 4, out _, out _));
        table.Record(Producer, 4, new ProducedBatch(0, 4, 10, 14));

        // The old epoch's batches are gone with it: the same sequence numbers are the new epoch's.
        Assert.Equal(SequenceVerdict.Duplicate, table.Check(Producer, 4, 0, 4, out ProducedBatch original, out _));
        Assert.Equal(10, original.FirstOffset);
        Assert.Equal(SequenceVerdict.Fenced, table.Check(Producer, 3, 10, 19, out _, out _));
    }

    [Fact]
    public void Sequences_wrap_after_int_max_value()
    {
        var table = new ProducerStateTable();
        table.Record(Producer, 0, new ProducedBatch(int.MaxValue - 9, int.MaxValue, 0, 9));
        Assert.Equal(SequenceVerdict.Append, table.Check(Producer, 0, 0, 9, out _, out _));
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(Producer, 0, 1, 9, out _, out int expected));
        Assert.Equal(0, expected);
    }

    [Fact]
    public void Sequences_wrap_from_int_max_value_to_zero()
    {
        Assert.Equal(15, ProducerSequence.Add(5, 10));
        Assert.Equal(int.MaxValue, ProducerSequence.Add(int.MaxValue - 10, 10));
        Assert.Equal(0, ProducerSequence.Add(int.MaxValue, 1));
        Assert.Equal(4, ProducerSequence.Add(int.MaxValue - 5, 10));
    }
}
