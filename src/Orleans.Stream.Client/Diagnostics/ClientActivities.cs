using System.Diagnostics;

namespace Orleans.Stream.Client.Diagnostics;

/// <summary>
/// The grain client's traces (activity source <c>Orleans.Stream.Client</c>): a span per produce request and per
/// fetch, named and tagged with OpenTelemetry's messaging conventions. Orleans carries the span into the grain calls
/// (activity propagation), so the broker's spans of the same request join its trace.
/// </summary>
internal static class ClientActivities
{
    public const string SourceName = "Orleans.Stream.Client";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A produce request of one batch; null when nobody listens (no allocation then).</summary>
    public static Activity? StartProduce(TopicPartition partition, int records, int bytes)
    {
        Activity? activity = Start("send", ActivityKind.Producer, partition);
        activity?.SetTag("messaging.batch.message_count", records);
        activity?.SetTag("messaging.message.body.size", bytes);
        return activity;
    }

    /// <summary>A fetch from one partition's leader; null when nobody listens.</summary>
    public static Activity? StartFetch(TopicPartition partition, long offset) =>
        Start("receive", ActivityKind.Consumer, partition)?.SetTag("messaging.kafka.offset", offset);

    private static Activity? Start(string operation, ActivityKind kind, TopicPartition partition)
    {
        if (!Source.HasListeners())
        {
            return null; // the hot path: no span name built, nothing allocated
        }

        Activity? activity = Source.StartActivity(operation + " " + partition.Topic, kind);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "orleans-stream");
            activity.SetTag("messaging.operation.type", operation);
            activity.SetTag("messaging.destination.name", partition.Topic);
            activity.SetTag("messaging.destination.partition.id", partition.Partition);
        }

        return activity;
    }

    /// <summary>Marks how a request ended.</summary>
    public static void End(Activity? activity, ErrorCode error, string? message = null)
    {
        if (activity is null)
        {
            return;
        }

        if (error == ErrorCode.None)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }
        else
        {
            activity.SetTag("error.type", error.ToString());
            activity.SetStatus(ActivityStatusCode.Error, message);
        }
    }
}
