using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class BadInputTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private OrleansStreamClient Client => shared.Brokers.Client;

    [Theory]
    [InlineData("bad name", ErrorCode.InvalidTopic)]
    [InlineData("a/b", ErrorCode.InvalidTopic)]
    [InlineData(".", ErrorCode.InvalidTopic)]
    [InlineData("..", ErrorCode.InvalidTopic)]
    [InlineData("", ErrorCode.InvalidTopic)]
    public async Task Invalid_topic_names_are_refused_with_InvalidTopic(string name, ErrorCode expected)
    {
        var error = await Assert.ThrowsAsync<OrleansStreamException>(() => Client.Admin.CreateTopicAsync(name, 1));
        Assert.Equal(expected, error.Code);
        Assert.DoesNotContain(name.Length == 0 ? "\0" : name, await Client.Admin.ListTopicsAsync());
    }

    [Fact]
    public async Task Bad_topic_settings_are_refused_with_the_matching_error_and_create_nothing()
    {
        string tooLong = new('x', 250);
        await AssertRefused(() => Client.Admin.CreateTopicAsync(tooLong, 1), ErrorCode.InvalidTopic, "249");
        await AssertRefused(() => Client.Admin.CreateTopicAsync("zero-partitions", 0), ErrorCode.InvalidPartitions, "partitions");
        await AssertRefused(() => Client.Admin.CreateTopicAsync("too-many-replicas", 1, replicationFactor: 4), ErrorCode.InvalidReplicationFactor, "3 live broker");
        await AssertRefused(() => Client.Admin.CreateTopicAsync("unknown-config", 1, configs: new Dictionary<string, string> { ["retention.hours"] = "1" }), ErrorCode.InvalidConfig, "retention.hours");
        await AssertRefused(() => Client.Admin.CreateTopicAsync("bad-value", 1, configs: new Dictionary<string, string> { ["retention.ms"] = "soon" }), ErrorCode.InvalidConfig, "retention.ms");
        await AssertRefused(() => Client.Admin.CreateTopicAsync("bad-policy", 1, configs: new Dictionary<string, string> { ["flush.policy"] = "never" }), ErrorCode.InvalidConfig, "flush.policy");

        string[] topics = await Client.Admin.ListTopicsAsync();
        Assert.DoesNotContain("zero-partitions", topics);
        Assert.DoesNotContain("unknown-config", topics);
        Assert.DoesNotContain("bad-value", topics);

        await Client.Admin.CreateTopicAsync("twice", 1);
        await AssertRefused(() => Client.Admin.CreateTopicAsync("twice", 2), ErrorCode.TopicAlreadyExists, "twice");
        Assert.Single((await Client.Admin.DescribeTopicAsync("twice")).Partitions);
    }

    [Fact]
    public async Task Unknown_topics_and_partitions_are_refused_on_produce_consume_and_describe()
    {
        await using Producer producer = Client.CreateProducer();
        await AssertRefused(async () => await producer.ProduceAsync("no-such-topic", null, "x"u8.ToArray()), ErrorCode.UnknownTopicOrPartition, "no-such-topic");

        await Client.Admin.CreateTopicAsync("two-partitions", 2);
        await AssertRefused(async () => await producer.ProduceAsync("two-partitions", null, "x"u8.ToArray(), partition: 2), ErrorCode.UnknownTopicOrPartition, "partition 2");
        await AssertRefused(() => Client.Admin.DescribeTopicAsync("no-such-topic"), ErrorCode.UnknownTopicOrPartition, "no-such-topic");
        await AssertRefused(() => Client.Admin.DeleteTopicAsync("no-such-topic"), ErrorCode.UnknownTopicOrPartition, "no-such-topic");

        await using Consumer consumer = Client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("no-such-topic", 0, 0)]);
        await AssertRefused(() => consumer.ReadAsync(1), ErrorCode.UnknownTopicOrPartition, "no-such-topic");
    }

    [Fact]
    public async Task A_record_over_max_message_bytes_is_refused_and_nothing_is_appended()
    {
        await Client.Admin.CreateTopicAsync("small-records", 1, configs: new Dictionary<string, string> { ["max.message.bytes"] = "1024" });
        await using Producer producer = Client.CreateProducer();
        await AssertRefused(async () => await producer.ProduceAsync("small-records", null, new byte[2000]), ErrorCode.RecordTooLarge, "1024");

        var partition = new TopicPartition("small-records", 0);
        Assert.Equal(0, await Client.Admin.ListOffsetAsync(partition, OffsetSpec.Latest));
        DeliveryResult small = await producer.ProduceAsync("small-records", null, new byte[100]);
        Assert.Equal(0, small.Offset);
    }

    [Fact]
    public async Task A_record_over_max_message_bytes_is_refused_alone_and_its_neighbours_are_delivered()
    {
        await Client.Admin.CreateTopicAsync("tiny-batches", 1, configs: new Dictionary<string, string> { ["max.message.bytes"] = "200" });
        await using Producer producer = Client.CreateProducer();
        Task<DeliveryResult> before = producer.ProduceAsync("tiny-batches", null, "ok"u8.ToArray()).AsTask();
        Task<DeliveryResult> large = producer.ProduceAsync("tiny-batches", null, new byte[500]).AsTask();
        Task<DeliveryResult> after = producer.ProduceAsync("tiny-batches", null, "fine"u8.ToArray()).AsTask();
        await producer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await AssertRefused(() => large, ErrorCode.RecordTooLarge, "max.message.bytes=200");
        Assert.Equal(0, (await before).Offset);
        Assert.Equal(1, (await after).Offset);

        // Batching never builds a batch over the limit either: many small records all land.
        var many = Enumerable.Range(0, 50).Select(i => producer.ProduceAsync("tiny-batches", null, new byte[40]).AsTask()).ToArray();
        await Task.WhenAll(many);
        Assert.Equal(52, await Client.Admin.ListOffsetAsync(new TopicPartition("tiny-batches", 0), OffsetSpec.Latest));
    }

    [Fact]
    public async Task Offsets_out_of_range_are_refused_or_reset_as_configured()
    {
        await Client.Admin.CreateTopicAsync("short-log", 1);
        await using Producer producer = Client.CreateProducer();
        for (int i = 0; i < 5; i++)
        {
            await producer.ProduceAsync("short-log", null, Encoding.UTF8.GetBytes($"v{i}"));
        }

        await using (Consumer strict = Client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.None }))
        {
            strict.Assign([new TopicPartitionOffset("short-log", 0, 100)]);
            await AssertRefused(() => strict.ReadAsync(1), ErrorCode.OffsetOutOfRange, "100");
        }

        FetchResponse negative = await shared.Brokers.Cluster.Client.GetGrain<IPartitionGrain>("short-log/0").Fetch(new FetchRequest(-5, 1024, 0));
        Assert.Equal(ErrorCode.OffsetOutOfRange, negative.Error);
        Assert.Contains("-5", negative.ErrorMessage);

        await using Consumer resetting = Client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest });
        resetting.Assign([new TopicPartitionOffset("short-log", 0, 100)]);
        ConsumeResult first = (await resetting.ReadAsync(1))[0];
        Assert.Equal(0, first.Offset);
        Assert.Equal("v0", Encoding.UTF8.GetString(first.Value!.Value.Span));
    }

    [Fact]
    public async Task Delete_removes_the_data_on_every_broker_and_a_recreated_topic_starts_empty()
    {
        await Client.Admin.CreateTopicAsync("doomed", 3);
        await using Producer producer = Client.CreateProducer();
        for (int i = 0; i < 30; i++)
        {
            await producer.ProduceAsync("doomed", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}"));
        }

        string root = shared.Brokers.DataRoot;
        Assert.Equal(3, Directory.GetDirectories(root, "doomed-*", SearchOption.AllDirectories).Length);

        await Client.Admin.DeleteTopicAsync("doomed");
        Assert.Empty(Directory.GetDirectories(root, "doomed-*", SearchOption.AllDirectories));
        Assert.DoesNotContain("doomed", await Client.Admin.ListTopicsAsync());

        await using Producer fresh = Client.CreateProducer();
        await AssertRefused(async () => await fresh.ProduceAsync("doomed", null, "x"u8.ToArray()), ErrorCode.UnknownTopicOrPartition, "doomed");

        await Client.Admin.CreateTopicAsync("doomed", 1);
        DeliveryResult again = await fresh.ProduceAsync("doomed", null, "x"u8.ToArray());
        Assert.Equal(0, again.Offset);
    }

    private static async Task AssertRefused(Func<Task> action, ErrorCode code, string messagePart)
    {
        var error = await Assert.ThrowsAsync<OrleansStreamException>(action);
        Assert.Equal(code, error.Code);
        Assert.Contains(messagePart, error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
