using System.Diagnostics;
using System.Globalization;
using Orleans.Stream.Client;

namespace Orleans.Stream.LoadTest;

/// <summary>
/// Reads a topic from the start until the asked-for count: one consumer with every partition assigned, or
/// (with a group) several members of a consumer group sharing the partitions the group gives them.
/// </summary>
internal static class ConsumeLoad
{
    public sealed record Settings(string Topic, int Records, int FetchBytes, TimeSpan MaxDuration, string? Group, int Consumers);

    public static async Task<int> RunAsync(OrleansStreamClient client, Settings settings, CancellationToken cancellation)
    {
        TopicDescription description = await client.Admin.DescribeTopicAsync(settings.Topic);
        var options = new ConsumerOptions
        {
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PrefetchChunks = 64,
            MaxPartitionFetchBytes = settings.FetchBytes,
            GroupId = settings.Group,
            ClientId = "ostream-perf",
        };
        int members = settings.Group is null ? 1 : Math.Max(1, settings.Consumers);
        var consumers = new Consumer[members];
        for (int i = 0; i < members; i++)
        {
            consumers[i] = client.CreateConsumer(options);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(settings.MaxDuration);
        long count = 0, bytes = 0;
        int assigned = 0;
        long started = Stopwatch.GetTimestamp();
        long allAssignedAt = 0;
        try
        {
            if (settings.Group is null)
            {
                consumers[0].Assign(description.Partitions.Select(p => new TopicPartitionOffset(settings.Topic, p.Partition, OffsetSpec.Earliest)));
            }
            else
            {
                foreach (Consumer consumer in consumers)
                {
                    consumer.PartitionsAssigned += partitions =>
                    {
                        if (Interlocked.Add(ref assigned, partitions.Count) == description.Partitions.Length)
                        {
                            Interlocked.CompareExchange(ref allAssignedAt, Stopwatch.GetTimestamp(), 0);
                        }
                    };
                    consumer.PartitionsRevoked += partitions => Interlocked.Add(ref assigned, -partitions.Count);
                    await consumer.SubscribeAsync([settings.Topic]);
                }
            }

            await Task.WhenAll(consumers.Select(consumer => Task.Run(async () =>
            {
                try
                {
                    // The allocation-free path: records walked in place in the fetched batches.
                    await foreach (FetchedRecords fetched in consumer.ConsumeBatchesAsync(stop.Token))
                    {
                        long records = 0, size = 0;
                        foreach (Storage.Record record in fetched)
                        {
                            size += record.Value.Length;
                            records++;
                        }

                        Interlocked.Add(ref bytes, size);
                        if (Interlocked.Add(ref count, records) >= settings.Records)
                        {
                            await stop.CancelAsync();
                        }
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            })));
        }
        finally
        {
            foreach (Consumer consumer in consumers)
            {
                await consumer.DisposeAsync();
            }
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double assignedAfter = allAssignedAt == 0 ? double.NaN : Stopwatch.GetElapsedTime(started, allAssignedAt).TotalSeconds;
        string group = settings.Group is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $", group {settings.Group} of {members}: all partitions assigned after {assignedAfter * 1000:F0} ms, {count / (seconds - assignedAfter):N0} records/s from then on");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"consume: {count:N0} records in {seconds:F2} s = {count / seconds:N0} records/s, {bytes / seconds / 1e6:F1} MB/s [partitions {description.Partitions.Length}, max.partition.fetch.bytes {settings.FetchBytes}{group}]"));
        return count >= settings.Records ? 0 : 1;
    }
}
