using System.Diagnostics.Metrics;

namespace Orleans.Stream.Client.Diagnostics;

/// <summary>
/// The client's instruments (meter <c>Orleans.Stream.Client</c>): with the broker's, they place a produce
/// acknowledgement's latency in the producer's queue, on the way to the leader and back, or in the broker.
/// </summary>
internal static class ClientMetrics
{
    public const string MeterName = "Orleans.Stream.Client";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>From a batch's first record until the batch is sent (linger, and waiting for the partition's request in flight).</summary>
    public static readonly Histogram<double> BatchQueueDuration = Meter.CreateHistogram<double>(
        "ostream.producer.batch.queue.duration", "ms", "Time from a batch's first record until its first send");

    /// <summary>One produce request, from the call until its answer is back in the producer.</summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "ostream.producer.request.duration", "ms", "Time from sending a produce request until its answer arrives");
}
