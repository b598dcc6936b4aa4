using System.Globalization;
using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.LoadTest;

/// <summary>
/// Kafka's VerifiableProducer: keyed records with sequential values (<c>k{i % keys}</c> → <c>v{i}</c>) at a steady rate,
/// and one line per acknowledgement, <c>partition offset key value</c> (tab-separated), written and flushed as it
/// arrives. A test that kills brokers meanwhile checks the acknowledged set against what the topic holds afterwards.
/// </summary>
internal static class VerifiableProduce
{
    /// <param name="StopFile">When this file appears, the producer stops sending, waits for what is in flight, and reports (a test's "done").</param>
    public sealed record Settings(string Topic, int Records, int Rate, int Keys, string AcksFile, TimeSpan MaxDuration, string? StopFile = null);

    public static async Task<int> RunAsync(OrleansStreamClient client, Settings settings, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stop.CancelAfter(settings.MaxDuration);
        await using var acks = new StreamWriter(settings.AcksFile, append: false, Encoding.UTF8);
        var writeLock = new Lock();
        int acknowledged = 0, failed = 0;
        var options = new ProducerOptions { Acks = Acks.All, DeliveryTimeout = TimeSpan.FromSeconds(120), Linger = TimeSpan.FromMilliseconds(5) };
        var pending = new List<Task>(settings.Records);
        long started = Environment.TickCount64;
        await using (Producer producer = client.CreateProducer(options))
        {
            for (int i = 0; i < settings.Records && !stop.IsCancellationRequested; i++)
            {
                if (settings.StopFile is { } stopFile && i % 50 == 0 && File.Exists(stopFile))
                {
                    break;
                }

                // Paced: record i goes out at i / rate seconds.
                long due = started + (i * 1000L / Math.Max(1, settings.Rate));
                long wait = due - Environment.TickCount64;
                if (wait > 0)
                {
                    await Task.Delay((int)wait, CancellationToken.None);
                }

                string key = string.Create(CultureInfo.InvariantCulture, $"k{i % settings.Keys}");
                string value = string.Create(CultureInfo.InvariantCulture, $"v{i}");
                pending.Add(TrackAsync(producer.ProduceAsync(settings.Topic, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), cancellationToken: CancellationToken.None).AsTask(), key, value));
            }

            await producer.FlushAsync(CancellationToken.None);
        }

        await Task.WhenAll(pending);
        Console.WriteLine($"acknowledged {acknowledged}, failed {failed}");
        return 0;

        async Task TrackAsync(Task<DeliveryResult> delivery, string key, string value)
        {
            try
            {
                DeliveryResult result = await delivery;
                lock (writeLock)
                {
                    acks.Write(string.Create(CultureInfo.InvariantCulture, $"{result.Partition}\t{result.Offset}\t{key}\t{value}\n"));
                    acks.Flush();
                    acknowledged++;
                }
            }
            catch (OrleansStreamException error)
            {
                Interlocked.Increment(ref failed);
                Console.Error.WriteLine($"{key} {value}: {error.Message}");
            }
        }
    }
}
