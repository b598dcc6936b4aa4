using Orleans.Stream.Client.Groups;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class ConsumerProtocolTests
{
    [Fact]
    public void A_subscription_is_written_in_kafkas_layout_and_read_back()
    {
        var subscription = new Subscription(["orders", "é"], [new TopicPartition("orders", 3), new TopicPartition("orders", 1), new TopicPartition("é", 0)], GenerationId: 7);
        byte[] bytes = ConsumerProtocol.EncodeSubscription(subscription);

        byte[] expected =
        [
            0, 2, // version 2
            0, 0, 0, 2, 0, 6, (byte)'o', (byte)'r', (byte)'d', (byte)'e', (byte)'r', (byte)'s', 0, 2, 0xC3, 0xA9, // topics
            0xFF, 0xFF, 0xFF, 0xFF, // user data: null
            0, 0, 0, 2, // owned partitions, by topic
            0, 6, (byte)'o', (byte)'r', (byte)'d', (byte)'e', (byte)'r', (byte)'s', 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1,
            0, 2, 0xC3, 0xA9, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 0, 0, 7, // generation
        ];
        Assert.Equal(expected, bytes);

        Subscription read = ConsumerProtocol.DecodeSubscription(bytes);
        Assert.Equal(subscription.Topics, read.Topics);
        Assert.Equal(subscription.OwnedPartitions, read.OwnedPartitions);
        Assert.Equal(7, read.GenerationId);
        Assert.Null(read.UserData);
    }

    [Fact]
    public void A_version_0_subscription_from_an_older_client_reads_with_nothing_owned()
    {
        byte[] v0 = [0, 0, 0, 0, 0, 1, 0, 1, (byte)'t', 0, 0, 0, 2, 9, 9];
        Subscription read = ConsumerProtocol.DecodeSubscription(v0);
        Assert.Equal(["t"], read.Topics);
        Assert.Equal([9, 9], read.UserData);
        Assert.Empty(read.OwnedPartitions);
        Assert.Equal(-1, read.GenerationId);
    }

    [Fact]
    public void An_assignment_round_trips_and_empty_bytes_mean_no_partitions()
    {
        TopicPartition[] partitions = [new("a", 0), new("a", 5), new("b", 2)];
        Assert.Equal(partitions, ConsumerProtocol.DecodeAssignment(ConsumerProtocol.EncodeAssignment(partitions)));
        Assert.Empty(ConsumerProtocol.DecodeAssignment([]));
    }

    [Fact]
    public void Truncated_bytes_are_a_clear_error_not_garbage()
    {
        byte[] bytes = ConsumerProtocol.EncodeAssignment([new TopicPartition("orders", 1)]);
        var error = Assert.Throws<OrleansStreamException>(() => ConsumerProtocol.DecodeAssignment(bytes.AsSpan(0, bytes.Length - 6)));
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, error.Code);
        Assert.Contains("Malformed", error.Message);
    }
}
