using BenchmarkDotNet.Attributes;
using Orleans.Stream.Kafka.Protocol;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Benchmarks;

/// <summary>
/// The Kafka listener's codec on its hot paths, 64 MiB of record batches per operation (so MB/s compares with
/// <see cref="ValidateBenchmarks"/> and a memory copy): decoding Produce v9 requests of 6 partitions (the batches stay
/// slices of the frame) and encoding Fetch v12 responses of 6 partitions into memory given to the writer, as the
/// connection does with its socket pipe's memory (the batches are copied once, there).
/// </summary>
[MemoryDiagnoser]
public class KafkaCodecBenchmarks
{
    private const int Partitions = 6;
    private byte[] _produceFrame = null!;
    private Wire.FetchResponse _fetch = null!;
    private byte[] _destination = null!;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    private long Requests => BenchmarkData.BytesPerOperationSet / ((long)BatchBytes * Partitions);

    [GlobalSetup]
    public void Build()
    {
        byte[] batch = BenchmarkData.Batch(BatchBytes, 0);
        var produce = new Wire.ProduceRequest { Acks = -1, TimeoutMs = 30_000 };
        var topic = new Wire.ProduceRequest.TopicData { Name = "orders" };
        produce.Topics.Add(topic);
        _fetch = new Wire.FetchResponse();
        var fetched = new Wire.FetchResponse.Topic { Name = "orders" };
        _fetch.Responses.Add(fetched);
        for (int p = 0; p < Partitions; p++)
        {
            topic.Partitions.Add(new Wire.ProduceRequest.PartitionData { Index = p, Records = batch });
            fetched.Partitions.Add(new Wire.FetchResponse.Partition { PartitionIndex = p, HighWatermark = 1_000_000, Records = batch });
        }

        using var writer = new KafkaWriter();
        produce.Write(writer, 9);
        _produceFrame = writer.WrittenSpan.ToArray();
        _destination = new byte[(BatchBytes + 256) * Partitions + 256];
    }

    [Benchmark]
    public long DecodeProduce()
    {
        long bytes = 0;
        for (long i = 0; i < Requests; i++)
        {
            var reader = new KafkaReader(_produceFrame);
            var request = new Wire.ProduceRequest();
            request.Read(ref reader, 9);
            bytes += request.Topics[0].Partitions[Partitions - 1].Records!.Value.Length;
        }

        return bytes;
    }

    [Benchmark]
    public long EncodeFetch()
    {
        long bytes = 0;
        for (long i = 0; i < Requests; i++)
        {
            using var writer = new KafkaWriter(_destination);
            _fetch.Write(writer, 12);
            bytes += writer.Length;
        }

        return bytes;
    }
}
