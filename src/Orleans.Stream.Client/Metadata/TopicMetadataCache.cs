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

    /// <summary>The partition's leader epoch as cached now, or -1.</summary>
    public int LeaderEpochOf(TopicPartition topicPartition) =>
        _topics.TryGetValue(topicPartition.Topic, out Entry? entry) && topicPartition.Partition < entry.Topic.Partitions.Length
            ? entry.Topic.Partitions[topicPartition.Partition].LeaderEpoch
            : -1;

    /// <summary>
    /// Waits for the answer of a request sent to a partition's leader in <paramref name="leaderEpoch"/>. An answer
    /// from a broker that died never comes (the call only times out, after 30 s), so while it is late this asks the
    /// controller, at most once per <paramref name="checkInterval"/>, whether the partition has a new leader; if so it
    /// stops waiting and throws NotLeaderOrFollower, and the caller retries at the new leader (an idempotent
    /// producer's retry is recognised there if the old leader's append made it).
    /// </summary>
    public async Task<T> AwaitLeaderAnswerAsync<T>(Task<T> answer, TopicPartition topicPartition, int leaderEpoch, TimeSpan checkInterval)
    {
        while (true)
        {
            if (await Task.WhenAny(answer, Task.Delay(checkInterval)).ConfigureAwait(false) == answer)
            {
                return await answer.ConfigureAwait(false);
            }

            int current;
            try
            {
                current = await CurrentLeaderEpochAsync(topicPartition, checkInterval).ConfigureAwait(false);
            }
            catch (Exception)
            {
                continue; // the controller is moving too: keep waiting, ask again
            }

            if (leaderEpoch >= 0 && current != leaderEpoch)
            {
                _ = answer.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw new OrleansStreamException(ErrorCode.NotLeaderOrFollower,
                    $"{topicPartition}: the leader changed (epoch {leaderEpoch} -> {current}) while a request to the old one was unanswered.");
            }
        }
    }

    private async Task<int> CurrentLeaderEpochAsync(TopicPartition topicPartition, TimeSpan notOlderThan)
    {
        if (!_topics.TryGetValue(topicPartition.Topic, out Entry? entry) || Environment.TickCount64 - entry.FetchedAt >= notOlderThan.TotalMilliseconds)
        {
            Invalidate(topicPartition.Topic);
        }

        TopicDescription topic = await GetAsync(topicPartition.Topic).ConfigureAwait(false);
        return topicPartition.Partition < topic.Partitions.Length ? topic.Partitions[topicPartition.Partition].LeaderEpoch : -1;
    }
}
