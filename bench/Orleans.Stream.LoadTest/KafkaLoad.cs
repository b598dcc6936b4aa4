using System.Diagnostics;
using Confluent.Kafka;

namespace Orleans.Stream.LoadTest;

/// <summary>
/// The produce and consume loads through Confluent.Kafka (librdkafka) against the brokers' Kafka ports, to compare
/// the Kafka path with the grain client on the same cluster and topic. Same shapes: 1 KiB values, keyless (sticky
/// partitioning), acks as given, linger 5 ms, 1 MB batches; a consumer assigned every partition from the start.
/// </summary>
internal static class KafkaLoad
{
    public sealed record Settings(string Bootstrap, string Topic, int Records, int RecordSize, string Acks, TimeSpan MaxDuration);

    public static int Produce(Settings settings)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = settings.Bootstrap,
            Acks = settings.Acks switch { "0" => Confluent.Kafka.Acks.None, "1" => Confluent.Kafka.Acks.Leader, _ => Confluent.Kafka.Acks.All },
            EnableIdempotence = settings.Acks == "all",
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxKbytes = 256 * 1024,
            DeliveryReportFields = "status", // a report carries the outcome, not the message marshalled back
        };
        byte[] value = new byte[settings.RecordSize];
        Random.Shared.NextBytes(value);
        long acknowledged = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        using (IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(config).Build())
        {
            var message = new Message<Null, byte[]> { Value = value };
            for (int i = 0; i < settings.Records && clock.Elapsed < settings.MaxDuration; i++)
            {
                while (true)
                {
                    try
                    {
                        producer.Produce(settings.Topic, message, report =>
                        {
                            if (report.Error.IsError)
                            {
                                Interlocked.Increment(ref failed);
                            }
                            else
                            {
                                Interlocked.Increment(ref acknowledged);
                            }
                        });
                        break;
                    }
                    catch (ProduceException<Null, byte[]> full) when (full.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }

            producer.Flush(settings.MaxDuration);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant(
            $"kafka-produce: {acknowledged:N0} records acked ({failed} failed) in {seconds:F2} s = {acknowledged / seconds:N0} records/s, {acknowledged * settings.RecordSize / seconds / 1e6:F1} MB/s [acks {settings.Acks}, record {settings.RecordSize} B]"));
        return failed == 0 ? 0 : 1;
    }

    public static int Consume(Settings settings, int partitions)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = settings.Bootstrap,
            GroupId = "ostream-perf",
            EnableAutoCommit = false,
            FetchMaxBytes = 50 * 1024 * 1024,
            ConsumeResultFields = "none", // the value only: no topic name, headers or timestamp marshalled per message
            MaxPartitionFetchBytes = int.Parse(Environment.GetEnvironmentVariable("KAFKA_PARTITION_FETCH_BYTES") ?? "1048576", System.Globalization.CultureInfo.InvariantCulture),
        };
        long read = 0, bytes = 0;
        var clock = Stopwatch.StartNew();
        using (IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build())
        {
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(settings.Topic, p, Offset.Beginning)));
            while (read < settings.Records && clock.Elapsed < settings.MaxDuration)
            {
                if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } record)
                {
                    read++;
                    bytes += record.Message.Value.Length;
                }
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"kafka-consume: {read:N0} records in {seconds:F2} s = {read / seconds:N0} records/s, {bytes / seconds / 1e6:F1} MB/s"));
        return 0;
    }
}
