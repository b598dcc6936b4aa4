using System.Diagnostics;
using System.Text.Json;
using Orleans.Stream.Kafka.Protocol;
using Orleans.Stream.Kafka.Protocol.Messages;

// Outside the Orleans.Stream namespace, so that the Kafka message names are not shadowed by the grain protocol's.
namespace KafkaWire.Tests;

/// <summary>
/// The generated codecs against an independent implementation, Debian's python3-kafka (kafka-python 2.0.2): its
/// encodings of requests decode here field by field and re-encode to the same bytes, and our responses decode there
/// to the values we wrote. Classic versions only (kafka-python has no flexible ones; Confluent.Kafka covers those
/// end to end).
/// </summary>
public sealed class CodecCrossCheckTests
{
    private static readonly Lazy<JsonElement> Theirs = new(RunPython);

    [Fact]
    public void Kafka_python_requests_decode_to_their_fields_and_encode_back_to_the_same_bytes()
    {
        MetadataRequest metadata = Decode<MetadataRequest>("metadata_v1", 1);
        Assert.Equal(["a", "bb"], metadata.Topics!.Select(t => t.Name));
        Assert.Null(Decode<MetadataRequest>("metadata_v1_all", 1).Topics); // null: every topic

        ProduceRequest produce = Decode<ProduceRequest>("produce_v3", 3);
        Assert.Equal((short)-1, produce.Acks);
        Assert.Equal(1000, produce.TimeoutMs);
        Assert.Null(produce.TransactionalId);
        ProduceRequest.TopicData topic = Assert.Single(produce.Topics);
        Assert.Equal("t", topic.Name);
        Assert.Equal([0, 2], topic.Partitions.Select(p => p.Index));
        Assert.Equal("xyz"u8.ToArray(), topic.Partitions[0].Records!.Value.ToArray());
        Assert.True(topic.Partitions[1].Records!.Value.IsEmpty);

        FetchRequest fetch = Decode<FetchRequest>("fetch_v4", 4);
        Assert.Equal((-1, 500, 1, 1000, (sbyte)0), (fetch.ReplicaId, fetch.MaxWaitMs, fetch.MinBytes, fetch.MaxBytes, fetch.IsolationLevel));
        FetchRequest.Partition partition = Assert.Single(Assert.Single(fetch.Topics).Partitions);
        Assert.Equal((0, 5L, 1024), (partition.Index, partition.FetchOffset, partition.PartitionMaxBytes));

        ListOffsetsRequest list = Decode<ListOffsetsRequest>("list_offsets_v1", 1);
        Assert.Equal([-1L, 1_700_000_000_000L], Assert.Single(list.Topics).Partitions.Select(p => p.Timestamp));
    }

    [Fact]
    public void Our_responses_decode_in_kafka_python_to_what_we_wrote()
    {
        JsonElement metadata = Theirs.Value.GetProperty("responses").GetProperty("metadata_v1");
        Assert.Equal(JsonSerializer.Serialize(ExpectedMetadata), metadata.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        JsonElement produce = Theirs.Value.GetProperty("responses").GetProperty("produce_v3");
        Assert.Equal("""{"topics":[["t",[[0,0,42,-1],[2,6,-1,-1]]]],"throttle_time_ms":0}""", produce.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        JsonElement fetch = Theirs.Value.GetProperty("responses").GetProperty("fetch_v4");
        Assert.Equal("""{"throttle_time_ms":0,"topics":[["t",[[0,0,10,10,null,"0102"]]]]}""", fetch.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        JsonElement offsets = Theirs.Value.GetProperty("responses").GetProperty("list_offsets_v1");
        Assert.Equal("""{"topics":[["t",[[0,0,-1,17],[1,3,-1,-1]]]]}""", offsets.GetRawText().Replace(" ", "", StringComparison.Ordinal));
    }

    private static readonly object ExpectedMetadata = new Dictionary<string, object?>
    {
        ["brokers"] = new object?[] { new object?[] { 1, "127.0.0.1", 9093, null } },
        ["controller_id"] = 1,
        ["topics"] = new object?[] { new object?[] { 0, "t", false, new object?[] { new object?[] { 0, 0, 1, new[] { 1, 2 }, new[] { 1 } } } } },
    };

    private static T Decode<T>(string name, short version)
        where T : IKafkaMessage, new()
    {
        byte[] bytes = Convert.FromHexString(Theirs.Value.GetProperty("requests").GetProperty(name).GetString()!);
        var reader = new KafkaReader(bytes);
        var message = new T();
        message.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(Convert.ToHexString(bytes), Hex(message, version)); // and back, byte for byte
        return message;
    }

    private static string Hex(IKafkaMessage message, short version)
    {
        using var writer = new KafkaWriter();
        message.Write(writer, version);
        return Convert.ToHexString(writer.WrittenSpan);
    }

    private static JsonElement RunPython()
    {
        var responses = new Dictionary<string, string>
        {
            ["metadata_v1"] = Hex(new MetadataResponse
            {
                Brokers = [new MetadataResponse.Broker { NodeId = 1, Host = "127.0.0.1", Port = 9093 }],
                ControllerId = 1,
                Topics = [new MetadataResponse.Topic { Name = "t", Partitions = [new MetadataResponse.Partition { PartitionIndex = 0, LeaderId = 1, ReplicaNodes = [1, 2], IsrNodes = [1] }] }],
            }, 1),
            ["produce_v3"] = Hex(new ProduceResponse
            {
                Responses = [new ProduceResponse.TopicResponse { Name = "t", Partitions = [new() { Index = 0, BaseOffset = 42 }, new() { Index = 2, ErrorCode = 6 }] }],
            }, 3),
            ["fetch_v4"] = Hex(new FetchResponse
            {
                Responses = [new FetchResponse.Topic { Name = "t", Partitions = [new() { PartitionIndex = 0, HighWatermark = 10, LastStableOffset = 10, Records = new byte[] { 1, 2 } }] }],
            }, 4),
            ["list_offsets_v1"] = Hex(new ListOffsetsResponse
            {
                Topics = [new ListOffsetsResponse.Topic { Name = "t", Partitions = [new() { PartitionIndex = 0, Offset = 17 }, new() { PartitionIndex = 1, ErrorCode = 3 }] }],
            }, 1),
        };

        const string Python = "/usr/bin/python3";
        Assert.True(File.Exists(Python), "This test needs Debian's python3 with python3-kafka: apt-get install -y python3-kafka (.ci/run installs it).");
        var start = new ProcessStartInfo(Python, [Path.Combine(AppContext.BaseDirectory, "TestData", "kafka_protocol.py")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        process.StandardInput.Write(JsonSerializer.Serialize(new { responses }));
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "kafka_protocol.py did not finish");
        Assert.True(process.ExitCode == 0, $"kafka_protocol.py failed ({process.ExitCode}): {stderr}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }
}
