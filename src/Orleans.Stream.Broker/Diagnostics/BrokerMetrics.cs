using System.Diagnostics.Metrics;

namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// The broker's instruments (meter <c>Orleans.Stream.Broker</c>); with the log's (<c>Orleans.Stream.Storage</c>:
/// append and fsync latency) they are what docs/operations.md lists. Counters are per topic, gauges per broker (tag
/// <c>ostream.broker.id</c>) and, for replication lag, per led partition.
/// </summary>
internal static class BrokerMetrics
{
    public const string MeterName = "Orleans.Stream.Broker";

    public const string TopicTag = "ostream.topic";
    public const string PartitionTag = "ostream.partition";
    public const string BrokerTag = "ostream.broker.id";
    public const string GroupTag = "ostream.group";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>A produce request inside its partition grain: from the call's start to the answer (acks included).</summary>
    public static readonly Histogram<double> ProduceDuration = Meter.CreateHistogram<double>(
        "ostream.produce.duration", "ms", "Time a produce request spends in its partition grain");

    public static readonly Counter<long> ProducedRecords = Meter.CreateCounter<long>(
        "ostream.produce.records", "{record}", "Records appended by leaders");

    public static readonly Counter<long> ProducedBytes = Meter.CreateCounter<long>(
        "ostream.produce.bytes", "By", "Record batch bytes appended by leaders");

    public static readonly Counter<long> FetchedRecords = Meter.CreateCounter<long>(
        "ostream.fetch.records", "{record}", "Offsets served to consumers (from the local log or the remote tier)");

    public static readonly Counter<long> FetchedBytes = Meter.CreateCounter<long>(
        "ostream.fetch.bytes", "By", "Record batch bytes served to consumers (from the local log or the remote tier)");

    public static readonly Counter<long> IsrShrinks = Meter.CreateCounter<long>(
        "ostream.isr.shrinks", "{change}", "Partitions whose ISR lost members (a follower fell behind, or its broker died)");

    public static readonly Counter<long> IsrExpands = Meter.CreateCounter<long>(
        "ostream.isr.expands", "{change}", "Partitions whose ISR gained members (a follower caught up)");

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

    private static readonly ObservableGauge<int> LeaderCount = Meter.CreateObservableGauge(
        "ostream.partitions.leaders", static () => PerBroker(static _ => true), "{partition}", "Partitions this broker leads");

    private static readonly ObservableGauge<int> UnderReplicated = Meter.CreateObservableGauge(
        "ostream.partitions.under_replicated", static () => PerBroker(static leader => leader.IsUnderReplicated), "{partition}",
        "Led partitions with fewer in-sync replicas than replicas");

    private static readonly ObservableGauge<int> UnderMinIsr = Meter.CreateObservableGauge(
        "ostream.partitions.under_min_isr", static () => PerBroker(static leader => leader.IsUnderMinIsr), "{partition}",
        "Led partitions with fewer in-sync replicas than min.insync.replicas (acks=all produce is refused)");

    private static readonly ObservableGauge<long> ReplicationLag = Meter.CreateObservableGauge(
        "ostream.replication.lag", ReplicationLags, "{record}", "Records the furthest-behind follower of a led partition lacks");

    private static readonly ObservableGauge<long> GroupLag = Meter.CreateObservableGauge(
        "ostream.group.lag", static () => GroupLagRegistry.Measure(), "{record}",
        "Records of a topic past a consumer group's committed offsets (high watermark minus committed), for groups with members");

    /// <summary>Local bytes of led partitions that are not remote yet, as of the tiering loop's last pass.</summary>
    public static long TieringBacklogBytes
    {
        get => Volatile.Read(ref s_tieringBacklogBytes);
        set => Volatile.Write(ref s_tieringBacklogBytes, value);
    }

    private static List<Measurement<int>> PerBroker(Func<LeaderStatus, bool> counts)
    {
        var measurements = new List<Measurement<int>>();
        foreach (LeaderRegistry registry in LeaderRegistry.All)
        {
            int count = 0;
            foreach (LeaderStatus leader in registry.Leaders)
            {
                if (counts(leader))
                {
                    count++;
                }
            }

            measurements.Add(new Measurement<int>(count, new KeyValuePair<string, object?>(BrokerTag, registry.BrokerId)));
        }

        return measurements;
    }

    private static List<Measurement<long>> ReplicationLags()
    {
        var measurements = new List<Measurement<long>>();
        foreach (LeaderRegistry registry in LeaderRegistry.All)
        {
            foreach (LeaderStatus leader in registry.Leaders)
            {
                if (leader.Replicas > 1)
                {
                    measurements.Add(new Measurement<long>(
                        leader.MaxLag,
                        new KeyValuePair<string, object?>(TopicTag, leader.Partition.Topic),
                        new KeyValuePair<string, object?>(PartitionTag, leader.Partition.Partition),
                        new KeyValuePair<string, object?>(BrokerTag, registry.BrokerId)));
                }
            }
        }

        return measurements;
    }
}
