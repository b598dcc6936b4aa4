using System.Text;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

public sealed class BrokerRestartTests
{
    [Fact]
    public async Task Producers_retry_through_a_broker_crash_and_every_acknowledged_record_survives_it()
    {
        using var data = new TempDirectory();
        await using Azurite azurite = await Azurite.StartAsync();
        await using BrokerCluster brokers = await BrokerCluster.StartOnAzuriteAsync(data.Path, azurite, "broker-restart");
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("sturdy", partitions: 3);
        int victim = topic.Partitions[0].Leader;

        await using Producer producer = client.CreateProducer(new ProducerOptions { DeliveryTimeout = TimeSpan.FromSeconds(60) });
        var acknowledged = new List<(DeliveryResult Result, string Value)>();
        for (int i = 0; i < 200; i++)
        {
            string value = $"before-{i}";
            acknowledged.Add((await producer.ProduceAsync("sturdy", null, Encoding.UTF8.GetBytes(value), partition: i % 3), value));
        }

        // The partition's only broker dies hard; records for it wait in the producer, retried, until it is back.
        await brokers.KillBrokerAsync(victim);
        var during = Enumerable.Range(0, 100)
            .Select(i => (Task: producer.ProduceAsync("sturdy", null, Encoding.UTF8.GetBytes($"during-{i}"), partition: 0).AsTask(), Value: $"during-{i}"))
            .ToList();
        await Task.Delay(1500);
        Assert.DoesNotContain(during, d => d.Task.IsCompletedSuccessfully);

        await brokers.StartBrokerAsync(victim);
        foreach ((Task<DeliveryResult> task, string value) in during)
        {
            acknowledged.Add((await task.WaitAsync(TimeSpan.FromSeconds(60)), value));
        }

        // Every acknowledged record is where its acknowledgement said, with its bytes.
        await ConsumerReads.AssertAcknowledgedAsync(client, "sturdy", 3, acknowledged);
    }
}
