using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Broker.Replication;

namespace Orleans.Stream.Broker.Controller;

/// <summary>
/// The one controller of the cluster (key 0): topic metadata, leaders, epochs and ISRs, persisted through Orleans
/// grain storage (<see cref="StorageName"/>) before any change takes effect. Non-reentrant on purpose: changes are
/// serialized. While active it compares the live brokers with the partitions' leaders and ISRs every second
/// (<see cref="LeaderElection"/>); brokers also poke it when membership changes, which reactivates it wherever
/// Orleans places it after its silo died.
/// </summary>
[GrainType("ostream-controller")]
internal sealed partial class ControllerGrain(
    [PersistentState("controller", ControllerGrain.StorageName)] IPersistentState<ControllerState> state,
    BrokerDirectory brokers,
    IOptions<BrokerOptions> options,
    Tiering.RemoteTier tier,
    ILogger<ControllerGrain> logger) : Grain, IControllerGrain
{
    /// <summary>The grain storage provider name the silo host must register (Azure Blob in production, memory in unit tests).</summary>
    public const string StorageName = "ostream";

    /// <summary>How many producer ids one persisted write reserves.</summary>
    internal const int ProducerIdBlockSize = 1000;

    private long _nextProducerId = -1;
    private HashSet<int> _reconciledLive = [];
    private readonly List<(string Topic, int Partition)> _wakeLater = [];

    // Brokers that hold replicas but are not alive, and since when (this activation's clock: a new controller starts counting afresh).
    private readonly Dictionary<int, long> _deadSince = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(_ => ReconcileBrokers(), new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(1),
            Period = TimeSpan.FromSeconds(1),
            KeepAlive = true,
        });
        return Task.CompletedTask;
    }

    private Dictionary<string, TopicDescription> Topics => state.State.Topics;

    public async Task<TopicDescription> CreateTopic(CreateTopicRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<LiveBroker> live = brokers.LiveBrokers();
        Dictionary<string, string> configs = TopicValidator.Validate(request, live.Count, tier.IsEnabled);
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

    public async Task<TopicDescription> CreatePartitions(string name, int totalPartitions)
    {
        if (!Topics.TryGetValue(name, out TopicDescription? topic))
        {
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
        }

        int current = topic.Partitions.Length;
        if (totalPartitions <= current || totalPartitions > TopicValidator.MaxPartitions)
        {
            throw new OrleansStreamException(ErrorCode.InvalidPartitions,
                $"Topic '{name}' has {current} partitions; it can only grow, to at most {TopicValidator.MaxPartitions} (asked for {totalPartitions}).");
        }

        var live = new List<int>();
        foreach (LiveBroker broker in brokers.LiveBrokers())
        {
            live.Add(broker.Id);
        }

        if (live.Count < topic.ReplicationFactor)
        {
            throw new OrleansStreamException(ErrorCode.InvalidReplicationFactor,
                $"Topic '{name}' has replication factor {topic.ReplicationFactor}, but only {live.Count} brokers are alive to place new partitions on.");
        }

        PartitionDescription[] added = ReplicaAssigner.Assign(totalPartitions - current, topic.ReplicationFactor, live, Topics.Values);
        var partitions = new PartitionDescription[totalPartitions];
        Array.Copy(topic.Partitions, partitions, current);
        for (int i = 0; i < added.Length; i++)
        {
            partitions[current + i] = added[i] with { Partition = current + i };
        }

        TopicDescription grown = topic with { Partitions = partitions };
        Topics[name] = grown;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            Topics[name] = topic;
            throw;
        }

        LogPartitionsAdded(logger, name, current, totalPartitions);
        return grown;
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
        if (tier.IsEnabled && topic.Configs.GetValueOrDefault(TopicConfigNames.RemoteStorageEnable) == "true")
        {
            // The remote tier's copy goes in the background: it may be many blobs, and the store may be slow or down.
            _ = Task.Run(() => tier.DeleteTopicAsync(topic));
        }
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

    public async Task<PartitionDescription> AlterIsr(TopicPartition partition, int leaderEpoch, int[] isr)
    {
        ArgumentNullException.ThrowIfNull(isr);
        (TopicDescription topic, PartitionDescription current) = Find(partition);
        if (leaderEpoch != current.LeaderEpoch)
        {
            throw new OrleansStreamException(ErrorCode.FencedLeaderEpoch,
                $"{partition}: leader epoch {leaderEpoch} is not the current one ({current.LeaderEpoch}, leader {current.Leader}).");
        }

        var live = LiveBrokerIds();
        var seen = new HashSet<int>();
        foreach (int member in isr)
        {
            bool added = Array.IndexOf(current.Isr, member) < 0;
            if (!seen.Add(member) || Array.IndexOf(current.Replicas, member) < 0 || (added && !live.Contains(member)))
            {
                throw new OrleansStreamException(ErrorCode.InvalidRequest,
                    $"{partition}: ISR [{string.Join(",", isr)}] must be distinct live replicas out of [{string.Join(",", current.Replicas)}].");
            }
        }

        if (!seen.Contains(current.Leader))
        {
            throw new OrleansStreamException(ErrorCode.InvalidRequest, $"{partition}: the ISR must hold the leader {current.Leader}.");
        }

        PartitionDescription changed = current with { Isr = isr, PartitionEpoch = current.PartitionEpoch + 1 };
        PartitionDescription completed = ReplicaReassignment.TryComplete(changed, out int[] removed);
        await ReplaceAsync([(topic, completed)]);
        LogIsrAltered(logger, partition, current.Isr, isr, leaderEpoch);
        if (!ReferenceEquals(completed, changed))
        {
            AfterReassignment(topic, current, completed, removed);
        }

        return completed;
    }

    public async Task<PartitionDescription> ReassignPartition(TopicPartition partition, int[] replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        (TopicDescription topic, PartitionDescription current) = Find(partition);
        if (current.TargetReplicas is not null)
        {
            throw new OrleansStreamException(ErrorCode.InvalidRequest,
                $"{partition} is already moving to [{string.Join(",", current.TargetReplicas)}]; wait for that to finish.");
        }

        HashSet<int> live = LiveBrokerIds();
        if (replicas.Length == 0 || new HashSet<int>(replicas).Count != replicas.Length)
        {
            throw new OrleansStreamException(ErrorCode.InvalidReplicationFactor, $"{partition}: replicas [{string.Join(",", replicas)}] must be one or more distinct brokers.");
        }

        foreach (int broker in replicas)
        {
            if (!live.Contains(broker))
            {
                throw new OrleansStreamException(ErrorCode.LeaderNotAvailable, $"{partition}: broker {broker} is not alive; replicas can only move to live brokers.");
            }
        }

        if (current.Leader == PartitionDescription.NoLeader)
        {
            throw new OrleansStreamException(ErrorCode.LeaderNotAvailable, $"{partition} has no leader to copy the log from.");
        }

        PartitionDescription begun = ReplicaReassignment.Begin(current, replicas);
        PartitionDescription completed = ReplicaReassignment.TryComplete(begun, out int[] removed);
        await ReplaceAsync([(topic, completed)]);
        LogReassigning(logger, partition, current.Replicas, replicas);
        if (ReferenceEquals(completed, begun))
        {
            Notify(topic.Name, begun); // the leader starts copying to the new replicas
        }
        else
        {
            AfterReassignment(topic, current, completed, removed);
        }

        return completed;
    }

    /// <summary>The partition's topic and its current description; throws UnknownTopicOrPartition when there is none.</summary>
    private (TopicDescription Topic, PartitionDescription Partition) Find(TopicPartition partition) =>
        Topics.TryGetValue(partition.Topic, out TopicDescription? topic) && partition.Partition >= 0 && partition.Partition < topic.Partitions.Length
            ? (topic, topic.Partitions[partition.Partition])
            : throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Partition {partition} does not exist.");

    /// <summary>
    /// A reassignment completed: the leader learns (or, if it moved, the new one is started), and the replicas that
    /// left delete their copy (one that is down now deletes it when it comes back, see LogManager.DeleteOrphansAsync).
    /// </summary>
    private void AfterReassignment(TopicDescription topic, PartitionDescription before, PartitionDescription after, int[] removed)
    {
        LogReassigned(logger, new TopicPartition(topic.Name, after.Partition), after.Replicas, after.Leader, after.LeaderEpoch);
        Notify(topic.Name, after);
        if (after.Leader != before.Leader)
        {
            // The old leader's activation deposes itself on the notice above; the new one is started once it is gone.
            _wakeLater.Add((topic.Name, after.Partition));
        }

        var partition = new TopicPartition(topic.Name, after.Partition);
        foreach (int broker in removed)
        {
            if (brokers.FindSilo(broker) is not null)
            {
                _ = GrainFactory.GetGrain<IBrokerGrain>(broker).DeletePartitionData(partition, topic.TopicId);
            }
        }
    }

    /// <summary>One-way: the leader may call back into this (non-reentrant) grain while it activates.</summary>
    private void Notify(string topic, PartitionDescription partition)
    {
        if (partition.Leader != PartitionDescription.NoLeader)
        {
            _ = GrainFactory.GetGrain<IPartitionGrain>(new TopicPartition(topic, partition.Partition).ToString()).PartitionChanged(partition);
        }
    }

    public async Task ReconcileBrokers()
    {
        WakeMovedLeaders();
        HashSet<int> live = LiveBrokerIds();
        await ReassignFromDeadBrokersAsync(live);
        if (live.SetEquals(_reconciledLive))
        {
            return;
        }

        var changes = new List<(TopicDescription Topic, PartitionDescription Partition)>();
        var wake = new List<(TopicDescription Topic, PartitionDescription Partition)>();
        foreach (TopicDescription topic in Topics.Values)
        {
            bool unclean = ReplicationConfig.From(topic.Configs).UncleanLeaderElection;
            foreach (PartitionDescription partition in topic.Partitions)
            {
                PartitionDescription reconciled = LeaderElection.Reconcile(partition, live, unclean);
                if (!ReferenceEquals(reconciled, partition))
                {
                    changes.Add((topic, reconciled));
                    LogReconciled(logger, topic.Name, partition.Partition, partition.Leader, reconciled.Leader, reconciled.LeaderEpoch, reconciled.Isr);
                }
                else if (partition.Leader != PartitionDescription.NoLeader && Joined(partition.Replicas, live))
                {
                    wake.Add((topic, partition)); // a replica is back: its leader should be running to catch it up
                }
            }
        }

        if (changes.Count > 0)
        {
            await ReplaceAsync(changes);
        }

        _reconciledLive = live;
        changes.AddRange(wake);
        foreach ((TopicDescription topic, PartitionDescription partition) in changes)
        {
            Notify(topic.Name, partition);
        }
    }

    /// <summary>
    /// With <see cref="BrokerOptions.ReassignDeadBrokerReplicasAfter"/> set: moves the replicas of brokers dead that
    /// long to the least loaded live brokers, one reassignment per partition (the new replica copies the log, then
    /// the dead one leaves the replica set; if it ever returns it deletes its copy).
    /// </summary>
    private async Task ReassignFromDeadBrokersAsync(HashSet<int> live)
    {
        if (options.Value.ReassignDeadBrokerReplicasAfter is not { } after)
        {
            return;
        }

        long now = Environment.TickCount64;
        var replicaCounts = new Dictionary<int, int>();
        foreach (TopicDescription topic in Topics.Values)
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                foreach (int replica in partition.Replicas)
                {
                    replicaCounts[replica] = replicaCounts.GetValueOrDefault(replica) + 1;
                    if (!live.Contains(replica))
                    {
                        _deadSince.TryAdd(replica, now);
                    }
                }
            }
        }

        var gone = new HashSet<int>();
        foreach ((int broker, long since) in _deadSince)
        {
            if (live.Contains(broker) || !replicaCounts.ContainsKey(broker))
            {
                _deadSince.Remove(broker);
            }
            else if (now - since >= after.TotalMilliseconds)
            {
                gone.Add(broker);
            }
        }

        if (gone.Count == 0)
        {
            return;
        }

        foreach (TopicDescription topic in Topics.Values.ToArray())
        {
            foreach (PartitionDescription partition in topic.Partitions)
            {
                if (partition.TargetReplicas is not null || partition.Leader == PartitionDescription.NoLeader ||
                    ReplicaReassignment.ReplaceGone(partition.Replicas, gone, live, replicaCounts) is not { } target)
                {
                    continue;
                }

                try
                {
                    await ReassignPartition(new TopicPartition(topic.Name, partition.Partition), target);
                }
                catch (OrleansStreamException error)
                {
                    LogAutoReassignFailed(logger, topic.Name, partition.Partition, error.Message);
                }
            }
        }
    }

    /// <summary>Pokes the partitions whose leadership a reassignment moved, a tick later, so the new leader activates.</summary>
    private void WakeMovedLeaders()
    {
        if (_wakeLater.Count == 0)
        {
            return;
        }

        foreach ((string topic, int partition) in _wakeLater)
        {
            if (Topics.TryGetValue(topic, out TopicDescription? description) && partition < description.Partitions.Length)
            {
                Notify(topic, description.Partitions[partition]);
            }
        }

        _wakeLater.Clear();
    }

    private bool Joined(int[] replicas, HashSet<int> live)
    {
        foreach (int replica in replicas)
        {
            if (live.Contains(replica) && !_reconciledLive.Contains(replica))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Installs changed partitions and persists them; on failure puts the old ones back and throws.</summary>
    private async Task ReplaceAsync(List<(TopicDescription Topic, PartitionDescription Partition)> changes)
    {
        var before = new Dictionary<string, TopicDescription>(StringComparer.Ordinal);
        foreach ((TopicDescription topic, PartitionDescription partition) in changes)
        {
            TopicDescription current = Topics[topic.Name];
            before.TryAdd(topic.Name, current);
            var partitions = (PartitionDescription[])current.Partitions.Clone();
            partitions[partition.Partition] = partition;
            Topics[topic.Name] = current with { Partitions = partitions };
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            foreach ((string name, TopicDescription topic) in before)
            {
                Topics[name] = topic;
            }

            throw;
        }

        foreach ((TopicDescription topic, PartitionDescription partition) in changes)
        {
            CountIsrChange(before[topic.Name].Partitions[partition.Partition].Isr, partition.Isr, topic.Name);
        }
    }

    /// <summary>The ISR meters, counted here because every ISR change (a leader's, or an election's) is persisted here.</summary>
    private static void CountIsrChange(int[] before, int[] after, string topic)
    {
        var tag = new KeyValuePair<string, object?>(BrokerMetrics.TopicTag, topic);
        foreach (int member in before)
        {
            if (Array.IndexOf(after, member) < 0)
            {
                BrokerMetrics.IsrShrinks.Add(1, tag);
                break;
            }
        }

        foreach (int member in after)
        {
            if (Array.IndexOf(before, member) < 0)
            {
                BrokerMetrics.IsrExpands.Add(1, tag);
                break;
            }
        }
    }

    private HashSet<int> LiveBrokerIds()
    {
        var live = new HashSet<int>();
        foreach (LiveBroker broker in brokers.LiveBrokers())
        {
            live.Add(broker.Id);
        }

        return live;
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
                broker.Id, broker.Silo.ToParsableString(), true, leaders.GetValueOrDefault(broker.Id), replicas.GetValueOrDefault(broker.Id), brokers.GatewayOf(broker.Silo),
                brokers.KafkaEndpointOf(broker.Silo));
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: ISR {From} -> {To} (leader epoch {Epoch})")]
    private static partial void LogIsrAltered(ILogger logger, TopicPartition partition, int[] from, int[] to, int epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Topic}/{Partition}: leader {From} -> {To} in epoch {Epoch}, ISR {Isr} (brokers changed)")]
    private static partial void LogReconciled(ILogger logger, string topic, int partition, int from, int to, int epoch, int[] isr);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: moving replicas {From} -> {To}")]
    private static partial void LogReassigning(ILogger logger, TopicPartition partition, int[] from, int[] to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partition {Partition}: reassignment complete, replicas {Replicas}, leader {Leader} in epoch {Epoch}")]
    private static partial void LogReassigned(ILogger logger, TopicPartition partition, int[] replicas, int leader, int epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted topic {Topic} ({TopicId})")]
    private static partial void LogDeleted(ILogger logger, string topic, Guid topicId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Topic {Topic} grew from {From} to {To} partitions")]
    private static partial void LogPartitionsAdded(ILogger logger, string topic, int from, int to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not move {Topic}/{Partition} off a dead broker: {Reason}")]
    private static partial void LogAutoReassignFailed(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the data of topic {Topic} failed on some broker; it deletes it when it next starts")]
    private static partial void LogDeleteDataFailed(ILogger logger, string topic, Exception error);
}
