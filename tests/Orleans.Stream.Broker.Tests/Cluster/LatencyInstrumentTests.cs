using System.Diagnostics.Metrics;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>The latency instruments an operator reads to place a slow acknowledgement: client, grain, log.</summary>
public sealed class LatencyInstrumentTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    [Fact]
    public async Task A_produce_is_measured_in_the_producer_in_the_partition_grain_and_in_the_log()
    {
        var seen = new Dictionary<string, List<double>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name.StartsWith("Orleans.Stream.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (seen)
            {
                (seen.TryGetValue(instrument.Name, out List<double>? values) ? values : seen[instrument.Name] = []).Add(value);
            }
        });
        listener.Start();

        OrleansStreamClient client = shared.Brokers.Client;
        await client.Admin.CreateTopicAsync("measured", partitions: 1);
        await using (Producer producer = client.CreateProducer())
        {
            for (int i = 0; i < 5; i++)
            {
                await producer.ProduceAsync("measured", null, new byte[] { (byte)i });
            }
        }

        lock (seen)
        {
            foreach (string name in new[]
            {
                "ostream.producer.batch.queue.duration", "ostream.producer.request.duration",
                "ostream.produce.duration", "ostream.log.append.duration",
            })
            {
                Assert.True(seen.TryGetValue(name, out List<double>? values) && values.Count >= 5, $"{name}: {(values is null ? "nothing" : values.Count + " measurements")}");
                Assert.All(values!, v => Assert.InRange(v, 0, 30_000));
            }
        }
    }
}
