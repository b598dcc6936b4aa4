using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>Looks at one partition's replicas on the brokers directly: their logs' bytes, ends and epochs.</summary>
internal static class ReplicaLogs
{
    /// <summary>Every byte of the replica's log, from its start to its end (not just to the high watermark).</summary>
    public static byte[] ReadAll(BrokerCluster brokers, int brokerId, TopicPartition partition)
    {
        PartitionLog log = LogOf(brokers, brokerId, partition);
        using var bytes = new MemoryStream();
        long offset = log.LogStartOffset;
        while (offset < log.LogEndOffset)
        {
            using LogReadResult read = log.Read(offset, 1 << 20, ReadBound.LogEnd);
            bytes.Write(read.Batches.Span);
            offset = read.NextOffset;
        }

        return bytes.ToArray();
    }

    public static PartitionLog LogOf(BrokerCluster brokers, int brokerId, TopicPartition partition) =>
        brokers.LogsOf(brokerId).Find(partition)?.Log ?? throw new InvalidOperationException($"Broker {brokerId} has no replica of {partition}.");

    /// <summary>Waits until every listed replica has the same log end as the first, then asserts their bytes are equal.</summary>
    public static async Task AssertConvergedAsync(BrokerCluster brokers, TopicPartition partition, int[] brokerIds, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(() =>
        {
            long end = LogOf(brokers, brokerIds[0], partition).LogEndOffset;
            return Task.FromResult(brokerIds.All(b => brokers.LogsOf(b).Find(partition) is { } local && local.Log.LogEndOffset == end));
        }, timeout ?? TimeSpan.FromSeconds(30), () => $"replicas of {partition} on brokers {string.Join(",", brokerIds)} to reach the same log end ({string.Join(", ", brokerIds.Select(b => brokers.LogsOf(b).Find(partition)?.Log.LogEndOffset ?? -1))})");

        byte[] expected = ReadAll(brokers, brokerIds[0], partition);
        foreach (int broker in brokerIds[1..])
        {
            byte[] actual = ReadAll(brokers, broker, partition);
            Assert.True(expected.AsSpan().SequenceEqual(actual),
                $"{partition}: broker {broker}'s log ({actual.Length} bytes) differs from broker {brokerIds[0]}'s ({expected.Length} bytes).");
        }
    }

    /// <summary>Waits until the controller lists exactly <paramref name="count"/> in-sync replicas for the partition.</summary>
    public static async Task<PartitionDescription> WaitForIsrAsync(BrokerCluster brokers, TopicPartition partition, int count, TimeSpan? timeout = null)
    {
        PartitionDescription? last = null;
        await Eventually.TrueDespiteFaultsAsync(async () =>
        {
            last = (await brokers.Client.Admin.DescribeTopicAsync(partition.Topic)).Partitions[partition.Partition];
            // The controller changes the ISR when a broker dies and tells the leader a moment later: wait for both.
            return last.Isr.Length == count && last.Leader != PartitionDescription.NoLeader &&
                   (await brokers.Client.Admin.DescribePartitionAsync(partition)).Isr?.Length == count;
        }, timeout ?? TimeSpan.FromSeconds(60), () => $"{partition} to have {count} in-sync replicas (last seen: leader {last?.Leader}, ISR [{string.Join(",", last?.Isr ?? [])}])");
        return last!;
    }
}
