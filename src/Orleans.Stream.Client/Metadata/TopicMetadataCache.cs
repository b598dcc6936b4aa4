using System.Collections.Concurrent;

namespace Orleans.Stream.Client.Metadata;

/// <summary>
/// What the client knows of topics, from the controller. Produce and fetch never ask the controller: they use this
/// cache, and drop a topic from it when a broker says the topic or partition is unknown.
/// </summary>
internal sealed class TopicMetadataCache(IGrainFactory grains, TimeSpan maxAge)
{
    private readonly ConcurrentDictionary<string, Entry> _topics = new(StringComparer.Ordinal);

    private sealed record Entry(TopicDescription Topic, long FetchedAt);

    /// <summary>The cached topic if it is fresh enough, else null (call <see cref="GetAsync"/>).</summary>
    public TopicDescription? TryGetCached(string topic) =>
        _topics.TryGetValue(topic, out Entry? entry) && Environment.TickCount64 - entry.FetchedAt < maxAge.TotalMilliseconds ? entry.Topic : null;

    /// <summary>The topic, from the cache or the controller; throws UnknownTopicOrPartition if there is none.</summary>
    public async ValueTask<TopicDescription> GetAsync(string topic)
    {
        if (TryGetCached(topic) is { } cached)
        {
            return cached;
        }

        TopicName.EnsureValid(topic);
        TopicDescription? described = await grains.GetGrain<IControllerGrain>(0).DescribeTopic(topic).ConfigureAwait(false);
        if (described is null)
        {
            _topics.TryRemove(topic, out _);
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' does not exist.");
        }

        _topics[topic] = new Entry(described, Environment.TickCount64);
        return described;
    }

    /// <summary>The partition's leader broker as last seen (however old; a wrong guess costs only a forwarding hop), or -1.</summary>
    public int LeaderOf(TopicPartition topicPartition) =>
        _topics.TryGetValue(topicPartition.Topic, out Entry? entry) && topicPartition.Partition < entry.Topic.Partitions.Length
            ? entry.Topic.Partitions[topicPartition.Partition].Leader
            : -1;

    public void Invalidate(string topic) => _topics.TryRemove(topic, out _);
}
