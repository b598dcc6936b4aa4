using System.Diagnostics.Metrics;

namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// The broker's instruments (meter <c>Orleans.Stream.Broker</c>). Together with the log's (<c>Orleans.Stream.Storage</c>)
/// they split a produce acknowledgement's latency into the partition grain's part and the network and client's.
/// </summary>
internal static class BrokerMetrics
{
    public const string MeterName = "Orleans.Stream.Broker";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>A produce request inside its partition grain: from the call's start to the answer (acks included).</summary>
    public static readonly Histogram<double> ProduceDuration = Meter.CreateHistogram<double>(
        "ostream.produce.duration", "ms", "Time a produce request spends in its partition grain");
}
