using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.Testing;

/// <summary>Reading records back in tests: bounded in count and time, so a missing record fails instead of hanging.</summary>
internal static class ConsumerReads
{
    /// <summary>The next <paramref name="count"/> records, or a <see cref="TimeoutException"/> naming how many came.</summary>
    public static async Task<List<ConsumeResult>> ReadAsync(this Consumer consumer, int count, TimeSpan? timeout = null)
    {
        var records = new List<ConsumeResult>(count);
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await foreach (ConsumeResult record in consumer.ConsumeAsync(deadline.Token))
            {
                records.Add(record);
                if (records.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Read {records.Count} of {count} records before the timeout.");
        }

        return records;
    }

    /// <summary>
    /// Reads the topic from offset 0 and asserts that every acknowledged record is at the partition and offset its
    /// acknowledgement named, with its value.
    /// </summary>
    public static async Task AssertAcknowledgedAsync(OrleansStreamClient client, string topic, int partitions, IReadOnlyCollection<(DeliveryResult Result, string Value)> acknowledged)
    {
        var wanted = new HashSet<(int, long)>(acknowledged.Select(a => (a.Result.Partition, a.Result.Offset)));
        var found = new Dictionary<(int, long), string>();
        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, 0)));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await foreach (ConsumeResult record in consumer.ConsumeAsync(deadline.Token))
        {
            found[(record.Partition, record.Offset)] = Encoding.UTF8.GetString(record.Value!.Value.Span);
            wanted.Remove((record.Partition, record.Offset));
            if (wanted.Count == 0)
            {
                break;
            }
        }

        foreach ((DeliveryResult result, string value) in acknowledged)
        {
            Assert.Equal(value, found[(result.Partition, result.Offset)]);
        }
    }
}
