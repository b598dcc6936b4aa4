using System.Diagnostics.Metrics;
using Orleans.Stream.Storage.Log;
using Orleans.Stream.Storage.Tests.Support;

namespace Orleans.Stream.Storage.Tests.Log;

/// <summary>The log's latency instruments record what operators and benchmarks read (meter Orleans.Stream.Storage).</summary>
public sealed class LogMetricsTests
{
    [Fact]
    public async Task Group_commit_appends_record_their_duration_and_the_fsync_that_covered_them()
    {
        var measurements = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LogMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (measurements)
            {
                measurements.Add((instrument.Name, value));
            }
        });
        listener.Start();

        using var fixture = new LogFixture();
        await using (PartitionLog log = fixture.Open(new LogConfig { FlushPolicy = FlushPolicy.GroupCommit }))
        {
            for (int i = 0; i < 3; i++)
            {
                await log.AppendAsync(Batches.Deterministic(i, 2, 10, Batches.T0));
            }
        }

        lock (measurements)
        {
            // Other tests' logs may record too (the meter is process-wide): at least ours are there, and sane.
            Assert.True(measurements.Count(m => m.Instrument == "ostream.log.append.duration") >= 3);
            Assert.Contains(measurements, m => m.Instrument == "ostream.log.flush.duration");
            Assert.All(measurements, m => Assert.InRange(m.Value, 0, 60_000));
        }
    }
}
