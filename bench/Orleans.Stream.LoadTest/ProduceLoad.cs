using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.ObjectPool;
using Orleans.Stream.Client;

namespace Orleans.Stream.LoadTest;

/// <summary>N producers share the record count; each keeps many records in flight and records every ack latency.</summary>
internal static class ProduceLoad
{
    public sealed record Settings(
        string Topic, int Partitions, int Producers, int Records, int RecordSize, int Rate, Acks Acks, TimeSpan Linger, int BatchSize, string? FlushPolicy, TimeSpan MaxDuration,
        int MaxInFlightPerPartition, bool Idempotence, short ReplicationFactor, int MinInsyncReplicas, IReadOnlyList<string> TopicConfigs);

    private const int MaxOutstandingPerProducer = 20_000;

    public static async Task<int> RunAsync(OrleansStreamClient client, Settings settings, CancellationToken cancellation)
    {
        await EnsureTopicAsync(client, settings);
        var latencies = new LatencyRecorder(settings.Records);
        var payload = new byte[settings.RecordSize];
        Random.Shared.NextBytes(payload);
        long failures = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(settings.MaxDuration);

        var options = new ProducerOptions
        {
            Acks = settings.Acks, Linger = settings.Linger, BatchSize = settings.BatchSize, BufferMemory = 256L << 20,
            MaxInFlightRequestsPerPartition = settings.MaxInFlightPerPartition, EnableIdempotence = settings.Idempotence,
        };
        // Warm-up, not measured: metadata, connections, JIT and the partition grains' activations.
        await using (Producer warmUp = client.CreateProducer(options))
        {
            var warming = new List<Task<DeliveryResult>>();
            for (int i = 0; i < 2000; i++)
            {
                warming.Add(warmUp.ProduceAsync(settings.Topic, BitConverter.GetBytes(-1 - i), payload, cancellationToken: CancellationToken.None).AsTask());
            }

            await Task.WhenAll(warming);
        }

        var warmedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long started = Stopwatch.GetTimestamp();
        int perProducer = settings.Records / settings.Producers;
        var tasks = new Task[settings.Producers];
        for (int p = 0; p < settings.Producers; p++)
        {
            int producerIndex = p;
            tasks[p] = Task.Run(async () =>
            {
                await using Producer producer = client.CreateProducer(options);
                await producer.ProduceAsync(settings.Topic, BitConverter.GetBytes(-10_000 - producerIndex), payload); // its metadata, not measured
                await warmedUp.Task;
                var outstanding = new StrongBox<int>();
                var acks = new DefaultObjectPool<PendingAck>(new PendingAck.Policy(latencies, outstanding, () => Interlocked.Increment(ref failures)), MaxOutstandingPerProducer);
                byte[] key = new byte[4]; // ProduceAsync copies the key before it returns, so one buffer serves every record
                double perProducerRate = settings.Rate / (double)settings.Producers;
                for (int i = 0; i < perProducer && !stop.IsCancellationRequested; i++)
                {
                    if (perProducerRate > 0)
                    {
                        // Open-loop pacing: record i is due at i / rate seconds after the start.
                        double due = i / perProducerRate;
                        double now = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        if (due > now)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(due - now), CancellationToken.None);
                        }
                    }

                    while (Volatile.Read(ref outstanding.Value) >= MaxOutstandingPerProducer)
                    {
                        await Task.Delay(1, CancellationToken.None);
                    }

                    Interlocked.Increment(ref outstanding.Value);
                    long sent = Stopwatch.GetTimestamp();
                    BinaryPrimitives.WriteInt32LittleEndian(key, (producerIndex * perProducer) + i);
#pragma warning disable CA2012 // consumed exactly once, through its awaiter
                    ValueTaskAwaiter<DeliveryResult> awaiter = producer.ProduceAsync(settings.Topic, key, payload).GetAwaiter();
#pragma warning restore CA2012
                    acks.Get().Await(awaiter, sent, acks);
                }

                await producer.FlushAsync(CancellationToken.None);
                while (Volatile.Read(ref outstanding.Value) > 0)
                {
                    await Task.Delay(1, CancellationToken.None);
                }
            }, CancellationToken.None);
        }

        await Task.Delay(200, CancellationToken.None); // producers connected and their metadata cached
        started = Stopwatch.GetTimestamp();
        TimeSpan pausedBefore = GC.GetTotalPauseDuration();
        int gen0Before = GC.CollectionCount(0), gen1Before = GC.CollectionCount(1), gen2Before = GC.CollectionCount(2);
        warmedUp.SetResult();
        await Task.WhenAll(tasks);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        int acked = latencies.Count;
        (double p50, double p99, double p999, double max) = latencies.Percentiles();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"produce: {acked:N0} records acked ({failures:N0} failed) in {seconds:F2} s = {acked / seconds:N0} records/s, {acked * (double)settings.RecordSize / seconds / 1e6:F1} MB/s; " +
            $"ack latency p50 {p50:F2} ms, p99 {p99:F2} ms, p99.9 {p999:F2} ms, max {max:F2} ms " +
            $"[producers {settings.Producers}, partitions {settings.Partitions}, record {settings.RecordSize} B, acks {settings.Acks}, linger {settings.Linger.TotalMilliseconds} ms, batch {settings.BatchSize} B, in flight/partition {(settings.Idempotence && settings.Acks == Acks.All ? settings.MaxInFlightPerPartition : 1)}, rate {(settings.Rate == 0 ? "max" : settings.Rate.ToString("N0", CultureInfo.InvariantCulture))}]; " +
            $"load tool GC: {GC.CollectionCount(0) - gen0Before}/{GC.CollectionCount(1) - gen1Before}/{GC.CollectionCount(2) - gen2Before} gen0/1/2, paused {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:F0} ms"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// One record's acknowledgement being awaited, pooled with its callback bound once, so measuring allocates nothing
    /// per record (a closure per record made the tool's own GC pauses part of the latencies it reports).
    /// </summary>
    private sealed class PendingAck
    {
        private readonly LatencyRecorder _latencies;
        private readonly StrongBox<int> _outstanding;
        private readonly Action _onFailure;
        private readonly Action _onCompleted;
        private ValueTaskAwaiter<DeliveryResult> _awaiter;
        private long _sent;
        private ObjectPool<PendingAck>? _pool;

        private PendingAck(LatencyRecorder latencies, StrongBox<int> outstanding, Action onFailure)
        {
            _latencies = latencies;
            _outstanding = outstanding;
            _onFailure = onFailure;
            _onCompleted = Completed;
        }

        public void Await(ValueTaskAwaiter<DeliveryResult> awaiter, long sent, ObjectPool<PendingAck> pool)
        {
            _awaiter = awaiter;
            _sent = sent;
            _pool = pool;
            if (awaiter.IsCompleted)
            {
                Completed();
            }
            else
            {
                awaiter.UnsafeOnCompleted(_onCompleted);
            }
        }

        private void Completed()
        {
            try
            {
                _awaiter.GetResult();
                _latencies.Record(_sent);
            }
            catch (Exception)
            {
                _onFailure();
            }

            Interlocked.Decrement(ref _outstanding.Value);
            ObjectPool<PendingAck> pool = _pool!;
            _awaiter = default;
            _pool = null;
            pool.Return(this);
        }

        public sealed class Policy(LatencyRecorder latencies, StrongBox<int> outstanding, Action onFailure) : PooledObjectPolicy<PendingAck>
        {
            public override PendingAck Create() => new(latencies, outstanding, onFailure);

            public override bool Return(PendingAck obj) => true;
        }
    }

    private static async Task EnsureTopicAsync(OrleansStreamClient client, Settings settings)
    {
        if ((await client.Admin.ListTopicsAsync()).Contains(settings.Topic))
        {
            return;
        }

        var configs = new Dictionary<string, string>();
        if (settings.FlushPolicy is { } policy)
        {
            configs["flush.policy"] = policy;
        }

        if (settings.MinInsyncReplicas > 0)
        {
            configs["min.insync.replicas"] = settings.MinInsyncReplicas.ToString(CultureInfo.InvariantCulture);
        }

        foreach (string config in settings.TopicConfigs)
        {
            int equals = config.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--config '{config}' is not key=value.");
            }

            configs[config[..equals]] = config[(equals + 1)..];
        }

        await client.Admin.CreateTopicAsync(settings.Topic, settings.Partitions, settings.ReplicationFactor, configs);
    }
}
