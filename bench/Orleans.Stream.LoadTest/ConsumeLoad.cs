using System.Diagnostics;
using System.Globalization;
using Orleans.Stream.Client;

namespace Orleans.Stream.LoadTest;

/// <summary>One consumer reads every partition of a topic from the start until it has the asked-for count.</summary>
internal static class ConsumeLoad
{
    public static async Task<int> RunAsync(OrleansStreamClient client, string topic, int records, TimeSpan maxDuration, CancellationToken cancellation)
    {
        TopicDescription description = await client.Admin.DescribeTopicAsync(topic);
        await using Consumer consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest, PrefetchChunks = 64 });
        consumer.Assign(description.Partitions.Select(p => new TopicPartitionOffset(topic, p.Partition, OffsetSpec.Earliest)));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(maxDuration);
        long count = 0, bytes = 0;
        long started = Stopwatch.GetTimestamp();
        try
        {
            await foreach (ConsumeResult record in consumer.ConsumeAsync(stop.Token))
            {
                bytes += record.Value?.Length ?? 0;
                if (++count >= records)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"consume: {count:N0} records in {seconds:F2} s = {count / seconds:N0} records/s, {bytes / seconds / 1e6:F1} MB/s [partitions {description.Partitions.Length}]"));
        return count >= records ? 0 : 1;
    }
}
