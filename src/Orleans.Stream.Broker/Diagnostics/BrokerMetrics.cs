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

    /// <summary>One sealed segment's upload to the remote tier, manifest entry included.</summary>
    public static readonly Histogram<double> TieringUploadDuration = Meter.CreateHistogram<double>(
        "ostream.tiering.upload.duration", "ms", "Time to upload one segment to the remote tier and record it");

    public static readonly Counter<long> TieringUploadedBytes = Meter.CreateCounter<long>(
        "ostream.tiering.uploaded", "By", "Log bytes uploaded to the remote tier");

    public static readonly Counter<long> RemoteFetchBytes = Meter.CreateCounter<long>(
        "ostream.tiering.fetched", "By", "Record batch bytes served to consumers from the remote tier");

    private static long s_tieringBacklogBytes;

    private static readonly ObservableGauge<long> TieringBacklog = Meter.CreateObservableGauge(
        "ostream.tiering.backlog", static () => Volatile.Read(ref s_tieringBacklogBytes), "By", "Local log bytes of led, tiered partitions not yet in the remote tier");

    /// <summary>Local bytes of led partitions that are not remote yet, as of the tiering loop's last pass.</summary>
    public static long TieringBacklogBytes
    {
        get => Volatile.Read(ref s_tieringBacklogBytes);
        set => Volatile.Write(ref s_tieringBacklogBytes, value);
    }
}
