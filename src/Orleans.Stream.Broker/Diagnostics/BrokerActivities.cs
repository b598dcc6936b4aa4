using System.Diagnostics;

namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// The broker's traces (activity source <c>Orleans.Stream.Broker</c>): a produce request's append in its partition
/// grain with, for <c>acks=all</c>, the wait for the in-sync replicas as a child; and a fetch's read. They join the
/// client's trace through Orleans' activity propagation.
/// </summary>
internal static class BrokerActivities
{
    public const string SourceName = "Orleans.Stream.Broker";

    public static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(string name, TopicPartition partition)
    {
        if (!Source.HasListeners())
        {
            return null; // the hot path: no span name built, nothing allocated
        }

        Activity? activity = Source.StartActivity(name + " " + partition, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "orleans-stream");
            activity.SetTag("messaging.destination.name", partition.Topic);
            activity.SetTag("messaging.destination.partition.id", partition.Partition);
        }

        return activity;
    }
}
