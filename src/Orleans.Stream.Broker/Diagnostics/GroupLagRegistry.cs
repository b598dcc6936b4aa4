using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// The lag of each active consumer group per topic, as its coordinator last measured it (high watermark minus
/// committed offset, summed over the partitions it committed). A coordinator reports while it has members and
/// withdraws when it deactivates; a group's coordinator lives on one silo, so groups never collide here.
/// </summary>
internal static class GroupLagRegistry
{
    private static readonly ConcurrentDictionary<(string Group, string Topic), long> Lags = new();

    public static void Report(string group, string topic, long lag) => Lags[(group, topic)] = lag;

    public static void Withdraw(string group)
    {
        foreach ((string Group, string Topic) key in Lags.Keys)
        {
            if (key.Group == group)
            {
                Lags.TryRemove(key, out _);
            }
        }
    }

    public static List<Measurement<long>> Measure()
    {
        var measurements = new List<Measurement<long>>(Lags.Count);
        foreach (((string group, string topic), long lag) in Lags)
        {
            measurements.Add(new Measurement<long>(
                lag,
                new KeyValuePair<string, object?>(BrokerMetrics.GroupTag, group),
                new KeyValuePair<string, object?>(BrokerMetrics.TopicTag, topic)));
        }

        return measurements;
    }
}
