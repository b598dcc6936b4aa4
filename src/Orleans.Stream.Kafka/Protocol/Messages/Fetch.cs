namespace Orleans.Stream.Kafka.Protocol.Messages;

/// <summary>Fetch (1): whole batches from each partition's log, long-polling up to MaxWaitMs for MinBytes.</summary>
[KafkaMessage(1, "4-12", "12+")]
internal sealed partial class FetchRequest
{
    [KafkaField("12+", NullableVersions = "12+", Tag = 0, TaggedVersions = "12+")] public string? ClusterId { get; set; }
    [KafkaField("0-14")] public int ReplicaId { get; set; } = -1;
    [KafkaField("0+")] public int MaxWaitMs { get; set; }
    [KafkaField("0+")] public int MinBytes { get; set; }
    [KafkaField("3+")] public int MaxBytes { get; set; } = int.MaxValue;
    [KafkaField("4+")] public sbyte IsolationLevel { get; set; }
    [KafkaField("7+")] public int SessionId { get; set; }
    [KafkaField("7+")] public int SessionEpoch { get; set; } = -1;
    [KafkaField("0+")] public List<Topic> Topics { get; set; } = [];
    [KafkaField("7+")] public List<ForgottenTopic> ForgottenTopicsData { get; set; } = [];
    [KafkaField("11+")] public string RackId { get; set; } = "";

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0-12")] public string Name { get; set; } = "";
        [KafkaField("13+")] public Guid TopicId { get; set; }
        [KafkaField("0+")] public List<Partition> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Partition
    {
        [KafkaField("0+")] public int Index { get; set; }
        [KafkaField("9+")] public int CurrentLeaderEpoch { get; set; } = -1;
        [KafkaField("0+")] public long FetchOffset { get; set; }
        [KafkaField("12+")] public int LastFetchedEpoch { get; set; } = -1;
        [KafkaField("5+")] public long LogStartOffset { get; set; } = -1;
        [KafkaField("0+")] public int PartitionMaxBytes { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class ForgottenTopic
    {
        [KafkaField("7-12")] public string Name { get; set; } = "";
        [KafkaField("13+")] public Guid TopicId { get; set; }
        [KafkaField("7+")] public List<int> Partitions { get; set; } = [];
    }
}

[KafkaMessage(1, "4-12", "12+")]
internal sealed partial class FetchResponse
{
    [KafkaField("1+")] public int ThrottleTimeMs { get; set; }
    [KafkaField("7+")] public short ErrorCode { get; set; }
    [KafkaField("7+")] public int SessionId { get; set; }
    [KafkaField("0+")] public List<Topic> Responses { get; set; } = [];

    [KafkaStruct]
    internal sealed partial class Topic
    {
        [KafkaField("0-12")] public string Name { get; set; } = "";
        [KafkaField("13+")] public Guid TopicId { get; set; }
        [KafkaField("0+")] public List<Partition> Partitions { get; set; } = [];
    }

    [KafkaStruct]
    internal sealed partial class Partition
    {
        [KafkaField("0+")] public int PartitionIndex { get; set; }
        [KafkaField("0+")] public short ErrorCode { get; set; }
        [KafkaField("0+")] public long HighWatermark { get; set; } = -1;
        [KafkaField("4+")] public long LastStableOffset { get; set; } = -1;
        [KafkaField("5+")] public long LogStartOffset { get; set; } = -1;
        [KafkaField("4+", NullableVersions = "4+")] public List<AbortedTransaction>? AbortedTransactions { get; set; }
        [KafkaField("11+")] public int PreferredReadReplica { get; set; } = -1;

        /// <summary>The log's own bytes: whole batches, as stored.</summary>
        [KafkaField("0+", NullableVersions = "0+")] public ReadOnlyMemory<byte>? Records { get; set; }
    }

    [KafkaStruct]
    internal sealed partial class AbortedTransaction
    {
        [KafkaField("4+")] public long ProducerId { get; set; }
        [KafkaField("4+")] public long FirstOffset { get; set; }
    }
}
