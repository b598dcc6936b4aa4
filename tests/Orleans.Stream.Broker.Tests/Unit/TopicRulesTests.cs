using Orleans.Stream.Broker.Controller;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class TopicRulesTests
{
    [Theory]
    [InlineData("orders")]
    [InlineData("a.b_c-D9")]
    [InlineData("...")]
    public void Kafka_topic_names_are_accepted(string name) => Assert.Null(TopicName.Validate(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünïcode")]
    public void Other_names_are_refused_with_a_reason(string? name) => Assert.NotNull(TopicName.Validate(name));

    [Fact]
    public void Names_up_to_249_characters_are_accepted()
    {
        Assert.Null(TopicName.Validate(new string('a', 249)));
        Assert.Contains("249", TopicName.Validate(new string('a', 250)));
    }

    [Theory]
    [InlineData("orders", 0, "orders/0")]
    [InlineData("a.b-c", 17, "a.b-c/17")]
    public void Partition_keys_round_trip(string topic, int partition, string key)
    {
        var topicPartition = new TopicPartition(topic, partition);
        Assert.Equal(key, topicPartition.ToString());
        Assert.Equal(topicPartition, TopicPartition.Parse(key));
        Assert.Equal($"{topic}-{partition}", topicPartition.DirectoryName);
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("/3")]
    [InlineData("t/-1")]
    [InlineData("t/x")]
    public void Malformed_partition_keys_are_refused(string key) => Assert.Throws<FormatException>(() => TopicPartition.Parse(key));

    [Theory]
    [InlineData("retention.ms", "-1")]
    [InlineData("segment.bytes", "1048576")]
    [InlineData("flush.policy", "replicated")]
    [InlineData("cleanup.policy", "delete")]
    [InlineData("min.insync.replicas", "1")]
    [InlineData("local.retention.ms", "-2")]
    [InlineData("local.retention.bytes", "0")]
    [InlineData("remote.storage.enable", "true")]
    public void Valid_configs_pass_and_are_kept(string key, string value)
    {
        Dictionary<string, string> configs = TopicValidator.Validate(new CreateTopicRequest("t", 1, 1, new() { [key] = value }), liveBrokers: 3, remoteTier: true);
        Assert.Equal(value, configs[key]);
    }

    [Theory]
    [InlineData("retention.ms", "-5")]
    [InlineData("segment.bytes", "lots")]
    [InlineData("flush.policy", "sometimes")]
    [InlineData("cleanup.policy", "compact")]
    [InlineData("min.insync.replicas", "2")]
    [InlineData("local.retention.bytes", "-3")]
    [InlineData("retention.hours", "1")]
    [InlineData("remote.storage.enable", "yes")]
    [InlineData("local.retention.ms", "604800001")] // longer than the whole log's retention.ms (7 days)
    public void Invalid_configs_are_refused_with_InvalidConfig_naming_the_key(string key, string value)
    {
        var error = Assert.Throws<OrleansStreamException>(() => TopicValidator.Validate(new CreateTopicRequest("t", 1, 1, new() { [key] = value }), liveBrokers: 3, remoteTier: true));
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData(0, 1, 3, ErrorCode.InvalidPartitions)]
    [InlineData(10_001, 1, 3, ErrorCode.InvalidPartitions)]
    [InlineData(1, 0, 3, ErrorCode.InvalidReplicationFactor)]
    [InlineData(1, 4, 3, ErrorCode.InvalidReplicationFactor)]
    [InlineData(1, 5, 4, ErrorCode.InvalidReplicationFactor)]
    public void Partition_and_replica_counts_are_checked(int partitions, short replicationFactor, int liveBrokers, ErrorCode expected)
    {
        var error = Assert.Throws<OrleansStreamException>(() => TopicValidator.Validate(new CreateTopicRequest("t", partitions, replicationFactor, []), liveBrokers, remoteTier: false));
        Assert.Equal(expected, error.Code);
    }

    [Fact]
    public void A_tiered_topic_is_refused_by_brokers_without_a_remote_tier()
    {
        var error = Assert.Throws<OrleansStreamException>(() =>
            TopicValidator.Validate(new CreateTopicRequest("t", 1, 1, new() { ["remote.storage.enable"] = "true" }), liveBrokers: 3, remoteTier: false));
        Assert.Equal(ErrorCode.InvalidConfig, error.Code);
        Assert.Contains("no remote tier", error.Message);
    }
}
