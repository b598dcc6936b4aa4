using System.Diagnostics;
using System.Globalization;
using Orleans.Stream.Client;

namespace Orleans.Stream.LoadTest;

/// <summary>One consumer reads every partition of a topic from the start until it has the asked-for count.</summary>
internal static class ConsumeLoad
{
    public static async Task<int> RunAsync(OrleansStreamClient client, string topic, int records, int fetchBytes, TimeSpan maxDuration, CancellationToken cancellation)
    {
        TopicDescription description = await client.Admin.DescribeTopicAsync(topic);
        await using Consumer consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest, PrefetchChunks = 64, MaxPartitionFetchBytes = fetchBytes });
        consumer.Assign(description.Partitions.Select(p => new TopicPartitionOffset(topic, p.Partition, OffsetSpec.Earliest)));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(maxDuration);
        long count = 0, bytes = 0;
        long started = Stopwatch.GetTimestamp();
        try
        {
            // The allocation-free path: records walked in place in the fetched batches.
            await foreach (FetchedRecords fetched in consumer.ConsumeBatchesAsync(stop.Token))
            {
                foreach (Storage.Record record in fetched)
                {
                    bytes += record.Value.Length;
                    count++;
                }

                if (count >= records)
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
            $"consume: {count:N0} records in {seconds:F2} s = {count / seconds:N0} records/s, {bytes / seconds / 1e6:F1} MB/s [partitions {description.Partitions.Length}, max.partition.fetch.bytes {fetchBytes}]"));
        return count >= records ? 0 : 1;
    }
}
