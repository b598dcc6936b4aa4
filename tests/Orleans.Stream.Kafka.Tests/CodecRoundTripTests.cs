using Orleans.Stream.Kafka.Protocol;
using Orleans.Stream.Kafka.Protocol.Messages;

// Outside the Orleans.Stream namespace, so that the Kafka message names are not shadowed by the grain protocol's.
namespace KafkaWire.Tests;

/// <summary>
/// Every described message at every version it has, classic and flexible: what is written reads back to the same
/// fields and re-encodes to the same bytes; tagged fields travel only in flexible versions; and bytes that are cut
/// short or lie about a length are a protocol error, never an exception of another kind or a read past the frame.
/// </summary>
public sealed class CodecRoundTripTests
{
    public static TheoryData<string, short> Versions()
    {
        var data = new TheoryData<string, short>();
        foreach ((string name, short low, short high) in (ReadOnlySpan<(string, short, short)>)
        [
            ("metadata", MetadataResponse.LowestVersion, MetadataResponse.HighestVersion),
            ("produce", ProduceRequest.LowestVersion, ProduceRequest.HighestVersion),
            ("fetch", FetchResponse.LowestVersion, FetchResponse.HighestVersion),
            ("fetch-request", FetchRequest.LowestVersion, FetchRequest.HighestVersion),
            ("api-versions", ApiVersionsResponse.LowestVersion, ApiVersionsResponse.HighestVersion),
        ])
        {
            for (short version = low; version <= high; version++)
            {
                data.Add(name, version);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void A_message_reads_back_to_itself_at_every_version(string message, short version)
    {
        IKafkaMessage written = message switch
        {
            "metadata" => new MetadataResponse
            {
                ThrottleTimeMs = 7,
                ClusterId = "c",
                ControllerId = 2,
                Brokers = [new MetadataResponse.Broker { NodeId = 2, Host = "h", Port = 9, Rack = "r" }],
                Topics = [new MetadataResponse.Topic { Name = "t", TopicId = Guid.NewGuid(), IsInternal = true, Partitions = [new MetadataResponse.Partition { PartitionIndex = 3, LeaderId = 2, LeaderEpoch = 5, ReplicaNodes = [2, 1], IsrNodes = [2], OfflineReplicas = [1] }] }],
            },
            "produce" => new ProduceRequest
            {
                TransactionalId = null,
                Acks = -1,
                TimeoutMs = 30_000,
                Topics = [new ProduceRequest.TopicData { Name = "orders", Partitions = [new ProduceRequest.PartitionData { Index = 1, Records = new byte[] { 9, 8, 7 } }, new ProduceRequest.PartitionData { Index = 2, Records = null }] }],
            },
            "fetch" => new FetchResponse
            {
                ThrottleTimeMs = 1,
                SessionId = 0,
                Responses = [new FetchResponse.Topic { Name = "t", Partitions = [new FetchResponse.Partition { PartitionIndex = 0, HighWatermark = 10, LastStableOffset = 10, LogStartOffset = 2, AbortedTransactions = null, Records = new byte[] { 1, 2, 3 } }] }],
            },
            "fetch-request" => new FetchRequest
            {
                ClusterId = "cluster-1",
                MaxWaitMs = 500,
                MinBytes = 1,
                SessionEpoch = -1,
                Topics = [new FetchRequest.Topic { Name = "t", Partitions = [new FetchRequest.Partition { Index = 0, FetchOffset = 42, CurrentLeaderEpoch = 3, PartitionMaxBytes = 1 << 20 }] }],
                RackId = "rack-a",
            },
            _ => new ApiVersionsResponse { ApiKeys = [new ApiVersionsResponse.ApiVersion { ApiKey = 3, MinVersion = 0, MaxVersion = 12 }], ThrottleTimeMs = 3 },
        };

        byte[] first = Encode(written, version);
        IKafkaMessage read = written switch
        {
            MetadataResponse => new MetadataResponse(),
            ProduceRequest => new ProduceRequest(),
            FetchResponse => new FetchResponse(),
            FetchRequest => new FetchRequest(),
            _ => new ApiVersionsResponse(),
        };
        var reader = new KafkaReader(first);
        read.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(first, Encode(read, version));

        // Spot checks of fields that exist in every version of each, and of the tagged one.
        switch (read)
        {
            case ProduceRequest produce:
                Assert.Equal(new byte[] { 9, 8, 7 }, produce.Topics[0].Partitions[0].Records!.Value.ToArray());
                Assert.Null(produce.Topics[0].Partitions[1].Records);
                break;
            case FetchRequest fetch:
                Assert.Equal(42, fetch.Topics[0].Partitions[0].FetchOffset);
                Assert.Equal(FetchRequest.IsFlexible(version) ? "cluster-1" : null, fetch.ClusterId); // tagged: flexible versions only
                break;
            case MetadataResponse metadata:
                Assert.Equal([2, 1], metadata.Topics[0].Partitions[0].ReplicaNodes);
                break;
        }
    }

    [Fact]
    public void A_frame_cut_anywhere_is_a_protocol_error()
    {
        byte[] whole = Encode(new MetadataResponse
        {
            Brokers = [new MetadataResponse.Broker { NodeId = 1, Host = "host", Port = 9092 }],
            Topics = [new MetadataResponse.Topic { Name = "t", Partitions = [new MetadataResponse.Partition { ReplicaNodes = [1], IsrNodes = [1] }] }],
        }, 12);
        for (int length = 0; length < whole.Length; length++)
        {
            var reader = new KafkaReader(whole.AsMemory(0, length));
            var message = new MetadataResponse();
            Assert.Throws<KafkaProtocolException>(() => message.Read(ref reader, 12));
        }
    }

    [Fact]
    public void Lengths_that_lie_are_refused_before_anything_is_allocated_for_them()
    {
        // An array claiming two billion elements in a four-byte frame.
        var reader = new KafkaReader(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF });
        var metadata = new MetadataRequest();
        Assert.Throws<KafkaProtocolException>(() => metadata.Read(ref reader, 1));

        // A string length of -2, and an unsigned varint longer than five bytes.
        var badString = new KafkaReader(new byte[] { 0xFF, 0xFE });
        Assert.Throws<KafkaProtocolException>(() => badString.ReadNullableString(compact: false));
        var badVarint = new KafkaReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 });
        Assert.Throws<KafkaProtocolException>(() => badVarint.ReadUnsignedVarint());
    }

    private static byte[] Encode(IKafkaMessage message, short version)
    {
        using var writer = new KafkaWriter();
        message.Write(writer, version);
        return writer.WrittenSpan.ToArray();
    }
}
