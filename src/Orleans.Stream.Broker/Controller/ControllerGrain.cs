using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Stream.Broker.Placement;

namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// The one controller of the cluster (key 0): topic metadata, persisted through Orleans grain storage
/// (<see cref="StorageName"/>) before any change takes effect. Non-reentrant on purpose: changes are serialized.
/// </summary>
[GrainType("ostream-controller")]
internal sealed partial class ControllerGrain(
    [PersistentState("controller", ControllerGrain.StorageName)] IPersistentState<ControllerState> state,
    BrokerDirectory brokers,
    ILogger<ControllerGrain> logger) : Grain, IControllerGrain
{
    /// <summary>The grain storage provider name the silo host must register (Azure Blob in production, memory in unit tests).</summary>
    public const string StorageName = "ostream";

    /// <summary>How many producer ids one persisted write reserves.</summary>
    internal const int ProducerIdBlockSize = 1000;

    private long _nextProducerId = -1;

    private Dictionary<string, TopicDescription> Topics => state.State.Topics;

    public async Task<TopicDescription> CreateTopic(CreateTopicRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<LiveBroker> live = brokers.LiveBrokers();
        Dictionary<string, string> configs = TopicValidator.Validate(request, live.Count);
        if (Topics.ContainsKey(request.Name))
        {
            throw new OrleansStreamException(ErrorCode.TopicAlreadyExists, $"Topic '{request.Name}' already exists.");
        }

        var brokerIds = new List<int>(live.Count);
        foreach (LiveBroker broker in live)
        {
            brokerIds.Add(broker.Id);
        }

        PartitionDescription[] partitions = ReplicaAssigner.Assign(request.Partitions, request.ReplicationFactor, brokerIds, Topics.Values);
        var topic = new TopicDescription(request.Name, Guid.NewGuid(), partitions, configs);
        Topics[topic.Name] = topic;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            Topics.Remove(topic.Name);
            throw;
        }

        LogCreated(logger, topic.Name, topic.TopicId, request.Partitions);
        return topic;
    }

    public async Task DeleteTopic(string name)
    {
        if (!Topics.TryGetValue(name, out TopicDescription? topic))
        {
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
        }

        // Metadata first: once it is gone no partition grain can activate for the topic; then the data.
        Topics.Remove(name);
        List<Guid> deleted = state.State.DeletedTopicIds;
        deleted.Add(topic.TopicId);
        if (deleted.Count > ControllerState.MaxDeletedTopicIds)
        {
            deleted.RemoveRange(0, deleted.Count - ControllerState.MaxDeletedTopicIds);
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            Topics[name] = topic;
            deleted.Remove(topic.TopicId);
            throw;
        }

        // Brokers that are down now delete their copy when they come back (LogManager.DeleteOrphansAsync).
        var deletions = new List<Task>();
        foreach (LiveBroker broker in brokers.LiveBrokers())
        {
            deletions.Add(GrainFactory.GetGrain<IBrokerGrain>(broker.Id).DeleteTopicData(topic.Name, topic.TopicId));
        }

        try
        {
            await Task.WhenAll(deletions);
        }
        catch (Exception error)
        {
            LogDeleteDataFailed(logger, name, error);
        }

        LogDeleted(logger, name, topic.TopicId);
    }

    public Task<string[]> ListTopics()
    {
        var names = new string[Topics.Count];
        Topics.Keys.CopyTo(names, 0);
        Array.Sort(names, StringComparer.Ordinal);
        return Task.FromResult(names);
    }

    public Task<TopicDescription?> DescribeTopic(string name) => Task.FromResult(Topics.GetValueOrDefault(name));

    public Task<TopicDescription[]> GetAllTopics() => Task.FromResult(SortedTopics());

    public async Task<long> AllocateProducerId()
    {
        if (_nextProducerId < 0 || _nextProducerId >= state.State.ProducerIdBlockEnd)
        {
            // A new block is persisted before any id from it goes out; a restart starts after it.
            long blockStart = state.State.ProducerIdBlockEnd;
            state.State.ProducerIdBlockEnd = blockStart + ProducerIdBlockSize;
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.ProducerIdBlockEnd = blockStart;
                throw;
            }

            _nextProducerId = blockStart;
        }

        return _nextProducerId++;
    }

    public Task<Guid[]> GetDeletedTopicIds() => Task.FromResult(state.State.DeletedTopicIds.ToArray());

    public Task<ClusterDescription> DescribeCluster()
    {
        TopicDescription[] topics = SortedTopics();
        var leaders = new Dictionary<int, int>();
        var replicas = new Dictionary<int, int>();
        foreach (TopicDescription topic in topics)
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                leaders[partition.Leader] = leaders.GetValueOrDefault(partition.Leader) + 1;
                foreach (int replica in partition.Replicas)
                {
                    replicas[replica] = replicas.GetValueOrDefault(replica) + 1;
                }
            }
        }

        var known = new SortedDictionary<int, BrokerDescription>();
        foreach (LiveBroker broker in brokers.LiveBrokers())
        {
            known[broker.Id] = new BrokerDescription(
                broker.Id, broker.Silo.ToParsableString(), true, leaders.GetValueOrDefault(broker.Id), replicas.GetValueOrDefault(broker.Id), brokers.GatewayOf(broker.Silo));
        }

        foreach (int id in replicas.Keys)
        {
            if (!known.ContainsKey(id))
            {
                known[id] = new BrokerDescription(id, "", false, leaders.GetValueOrDefault(id), replicas[id], "");
            }
        }

        return Task.FromResult(new ClusterDescription([.. known.Values], topics));
    }

    private TopicDescription[] SortedTopics()
    {
        var topics = new TopicDescription[Topics.Count];
        Topics.Values.CopyTo(topics, 0);
        Array.Sort(topics, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return topics;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created topic {Topic} ({TopicId}) with {Partitions} partitions")]
    private static partial void LogCreated(ILogger logger, string topic, Guid topicId, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted topic {Topic} ({TopicId})")]
    private static partial void LogDeleted(ILogger logger, string topic, Guid topicId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the data of topic {Topic} failed on some broker; it deletes it when it next starts")]
    private static partial void LogDeleteDataFailed(ILogger logger, string topic, Exception error);
}
