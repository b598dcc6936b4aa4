using Orleans.Stream.Kafka.Protocol;
using Orleans.Stream.Kafka.Protocol.Messages;

namespace KafkaWire.Tests;

/// <summary>
/// The writer the connection points at its socket pipe's memory: a response that fits is written there and nowhere
/// else; one that does not moves to a rented buffer mid-write and comes out byte for byte as if written there alone.
/// </summary>
public sealed class KafkaWriterTests
{
    [Fact]
    public void A_response_that_fits_is_written_into_the_given_memory()
    {
        FetchResponse fetch = Fetch(records: 3000);
        byte[] expected = Encode(fetch);
        byte[] destination = new byte[expected.Length + 10];
        using var writer = new KafkaWriter(destination);
        fetch.Write(writer, 12);
        Assert.True(writer.InDestination);
        Assert.Equal(expected, destination.AsSpan(0, writer.Length).ToArray());
    }

    [Fact]
    public void A_response_that_outgrows_the_given_memory_moves_and_loses_nothing()
    {
        FetchResponse fetch = Fetch(records: 3000);
        byte[] expected = Encode(fetch);
        byte[] destination = new byte[100]; // the header fits, the records do not
        using var writer = new KafkaWriter(destination);
        int size = writer.ReserveInt32();
        fetch.Write(writer, 12);
        writer.PatchInt32(size, writer.Length - 4);
        Assert.False(writer.InDestination);
        Assert.Equal(expected.Length + 4, writer.Length);
        Assert.Equal(expected, writer.WrittenSpan[4..].ToArray());
        Assert.Equal(expected.Length, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(writer.WrittenSpan));
    }

    private static FetchResponse Fetch(int records)
    {
        byte[] batch = new byte[records];
        new Random(7).NextBytes(batch);
        var response = new FetchResponse();
        var topic = new FetchResponse.Topic { Name = "orders" };
        response.Responses.Add(topic);
        topic.Partitions.Add(new FetchResponse.Partition { PartitionIndex = 0, HighWatermark = 42, Records = batch });
        topic.Partitions.Add(new FetchResponse.Partition { PartitionIndex = 1, HighWatermark = 7, Records = batch.AsMemory(0, 10) });
        return response;
    }

    private static byte[] Encode(FetchResponse response)
    {
        using var writer = new KafkaWriter();
        response.Write(writer, 12);
        return writer.WrittenSpan.ToArray();
    }
}
