using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;
using Orleans.Stream.ServiceDefaults;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>A produce and a fetch are each one trace, from the client through the partition grain (and its replicas' wait).</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task A_produce_and_a_fetch_are_traced_from_the_client_into_the_partition_grain()
    {
        var spans = new LockedList<Activity>(); // spans end on many threads (Orleans' own calls never stop)
        using TracerProvider tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(ServiceDefaultsExtensions.Sources)
            .AddInMemoryExporter(spans)
            .Build();
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path);
        OrleansStreamClient client = brokers.Client;
        await client.Admin.CreateTopicAsync("traced", partitions: 1, replicationFactor: 3);

        await using (Producer producer = client.CreateProducer())
        {
            Assert.Equal(0, (await producer.ProduceAsync("traced", null, Encoding.UTF8.GetBytes("one"))).Offset);
        }

        await using (Consumer consumer = client.CreateConsumer())
        {
            consumer.Assign([new TopicPartitionOffset("traced", 0, 0)]);
            Assert.Equal("one", Encoding.UTF8.GetString((await consumer.ReadAsync(1))[0].Value!.Value.Span));
        }

        tracing.ForceFlush();
        Activity send = Assert.Single(Snapshot(spans), s => s.DisplayName == "send traced" && s.Status == ActivityStatusCode.Ok);
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal("traced", send.GetTagItem("messaging.destination.name"));
        Activity append = Assert.Single(Snapshot(spans), s => s.DisplayName == "append traced/0" && s.TraceId == send.TraceId);
        Assert.Equal(0L, append.GetTagItem("messaging.kafka.offset"));
        Activity wait = Assert.Single(Snapshot(spans), s => s.DisplayName == "wait for in-sync replicas traced/0");
        Assert.Equal((append.TraceId, append.SpanId), (wait.TraceId, wait.ParentSpanId)); // acks=all waits inside the append

        Activity receive = Snapshot(spans).First(s => s.DisplayName == "receive traced" && s.Status == ActivityStatusCode.Ok);
        Assert.Contains(Snapshot(spans), s => s.DisplayName == "fetch traced/0" && s.TraceId == receive.TraceId);
        Assert.NotEqual(send.TraceId, receive.TraceId);
    }

    private static List<Activity> Snapshot(LockedList<Activity> spans) => spans.Snapshot();

    /// <summary>A list the exporter may add to while the test reads it.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public List<T> Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Add(T item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(T item) => Snapshot().Contains(item);

        public void CopyTo(T[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(T item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
