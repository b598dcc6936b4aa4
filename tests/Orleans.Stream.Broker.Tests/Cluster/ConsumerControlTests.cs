using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class ConsumerControlTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    [Fact]
    public async Task A_paused_partition_hands_out_nothing_until_resumed_then_continues_where_it_stopped()
    {
        OrleansStreamClient client = shared.Brokers.Client;
        await client.Admin.CreateTopicAsync("pausable", partitions: 2);
        await using (Producer producer = client.CreateProducer())
        {
            for (int i = 0; i < 100; i++)
            {
                await producer.ProduceAsync("pausable", null, Encoding.UTF8.GetBytes($"p{i % 2}-{i / 2}"), partition: i % 2);
            }
        }

        await using Consumer consumer = client.CreateConsumer(new ConsumerOptions { FetchMaxWait = TimeSpan.FromMilliseconds(100) });
        var p0 = new TopicPartition("pausable", 0);
        var p1 = new TopicPartition("pausable", 1);
        consumer.Assign([new TopicPartitionOffset(p0, 0), new TopicPartitionOffset(p1, 0)]);
        List<ConsumeResult> first = await consumer.ReadAsync(10);
        consumer.Pause([p0]);
        Assert.Equal([p0], consumer.Paused);
        long resumeAt = consumer.Position(p0)!.Value;

        // While p0 is paused only p1's records come, all 50 of them, and nothing of p0.
        int p1Left = 50 - first.Count(r => r.Partition == 1);
        List<ConsumeResult> whilePaused = await consumer.ReadAsync(p1Left);
        Assert.All(whilePaused, r => Assert.Equal(1, r.Partition));
        await Assert.ThrowsAsync<TimeoutException>(() => consumer.ReadAsync(1, TimeSpan.FromMilliseconds(700)));

        consumer.Resume([p0]);
        List<ConsumeResult> afterResume = await consumer.ReadAsync(50 - (int)resumeAt);
        Assert.Equal(Enumerable.Range((int)resumeAt, 50 - (int)resumeAt).Select(i => (long)i), afterResume.Select(r => r.Offset));
        Assert.All(afterResume, r => Assert.Equal(0, r.Partition));
    }

    [Fact]
    public async Task Reading_in_several_enumerations_loses_nothing_of_a_chunk_left_half_read()
    {
        OrleansStreamClient client = shared.Brokers.Client;
        await client.Admin.CreateTopicAsync("halves", partitions: 1);
        await using (Producer producer = client.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(50) }))
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(i => producer.ProduceAsync("halves", null, Encoding.UTF8.GetBytes($"v{i}")).AsTask()));
        }

        await using Consumer consumer = client.CreateConsumer();
        consumer.Assign([new TopicPartitionOffset("halves", 0, 0)]);
        var offsets = new List<long>();
        for (int i = 0; i < 10; i++)
        {
            offsets.AddRange((await consumer.ReadAsync(10)).Select(r => r.Offset)); // each read stops inside a fetched chunk
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), offsets);
    }

    [Fact]
    public async Task Commits_outside_a_group_generation_are_refused_while_the_group_has_members()
    {
        OrleansStreamClient client = shared.Brokers.Client;
        await client.Admin.CreateTopicAsync("committed", partitions: 1);
        var partition = new TopicPartition("committed", 0);
        await using (Producer producer = client.CreateProducer())
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync("committed", null, Encoding.UTF8.GetBytes($"c{i}"));
            }
        }

        // Nobody in the group: a consumer with assigned partitions may commit (Kafka's "simple" consumer).
        await using Consumer manual = client.CreateConsumer(new ConsumerOptions { GroupId = "mixed" });
        manual.Assign([new TopicPartitionOffset(partition, 0)]);
        await manual.CommitAsync([new TopicPartitionOffset(partition, 5)]);
        Assert.Equal(5, (await manual.GetCommittedOffsetsAsync([partition]))[0].Offset);

        await using Consumer member = client.CreateConsumer(new ConsumerOptions { GroupId = "mixed", HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        var assigned = new TaskCompletionSource();
        member.PartitionsAssigned += _ => assigned.TrySetResult();
        await member.SubscribeAsync(["committed"]);
        await assigned.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var refused = await Assert.ThrowsAsync<OrleansStreamException>(() => manual.CommitAsync([new TopicPartitionOffset(partition, 9)]));
        Assert.Equal(ErrorCode.UnknownMemberId, refused.Code);
        Assert.Equal(5, (await member.GetCommittedOffsetsAsync([partition]))[0].Offset);
        Assert.Equal(5, member.Position(partition) ?? (await WaitForPositionAsync(member, partition)));
    }

    private static async Task<long> WaitForPositionAsync(Consumer consumer, TopicPartition partition)
    {
        await Eventually.TrueAsync(() => Task.FromResult(consumer.Position(partition) is not null), TimeSpan.FromSeconds(10), () => "no position");
        return consumer.Position(partition)!.Value;
    }
}
