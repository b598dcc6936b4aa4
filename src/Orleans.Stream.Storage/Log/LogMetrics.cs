using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orleans.Stream.Storage.Log;

/// <summary>
/// The log engine's instruments (meter <c>Orleans.Stream.Storage</c>): where an acknowledgement's time goes inside a
/// broker. Recording a histogram without tags allocates nothing, so they stay on in the hot path.
/// </summary>
internal static class LogMetrics
{
    public const string MeterName = "Orleans.Stream.Storage";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>From <c>AppendAsync</c> to its completion: queueing for the writer, the write and, with group commit, the fsync wait.</summary>
    public static readonly Histogram<double> AppendDuration = Meter.CreateHistogram<double>(
        "ostream.log.append.duration", "ms", "Time from an append's submission until it is acknowledged by the log");

    /// <summary>One flush pass's fsyncs (all segments with unflushed bytes).</summary>
    public static readonly Histogram<double> FlushDuration = Meter.CreateHistogram<double>(
        "ostream.log.flush.duration", "ms", "Time one flush pass spends in fsync");

    public static double MillisecondsSince(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;
}
