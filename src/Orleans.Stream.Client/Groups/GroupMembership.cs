using Orleans.Stream.Client.Groups.Assignors;
using Orleans.Stream.Client.Internal;
using Orleans.Stream.Client.Metadata;

namespace Orleans.Stream.Client.Groups;

/// <summary>
/// One consumer's membership in its group, run in the background as Kafka's consumer coordinator does: join, (as
/// leader) assign, sync, then heartbeat every <c>heartbeat.interval.ms</c>, rejoining when the coordinator says a
/// rebalance started, and auto-committing processed positions. Partitions are taken from the consumer only between
/// two records it hands out (see <see cref="Consumer"/>'s hand-out), with their processed positions committed
/// first, so with auto-commit nothing it finished is read again by the next owner, and nothing is skipped.
/// Eager assignors revoke everything before rejoining; cooperative ones (KIP-429) revoke only what moves, after the
/// sync, and then rejoin at once so the next generation can give those partitions to their new owner.
/// </summary>
internal sealed class GroupMembership : IAsyncDisposable
{
    private readonly Consumer _consumer;
    private readonly IGroupCoordinatorGrain _coordinator;
    private readonly TopicMetadataCache _metadata;
    private readonly ConsumerOptions _options;
    private readonly IReadOnlyList<string> _topics;
    private readonly IPartitionAssignor[] _assignors;
    private readonly bool _cooperative;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _commitLock = new(1, 1);
    private Task _loop = Task.CompletedTask;
    private volatile string _memberId = "";
    private volatile int _generation = -1;
    private HashSet<TopicPartition> _owned = [];
    private bool _rejoin = true;
    private bool _leader;
    private Dictionary<string, int> _assignedPartitionCounts = [];

    // What this member last committed per partition: auto-commit only moves forward from there, so it never undoes
    // an explicit commit of a record the application finished but had not yet asked past.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TopicPartition, long> _committed = new();

    public GroupMembership(Consumer consumer, IGroupCoordinatorGrain coordinator, TopicMetadataCache metadata, ConsumerOptions options, IReadOnlyList<string> topics)
    {
        _consumer = consumer;
        _coordinator = coordinator;
        _metadata = metadata;
        _options = options;
        _topics = topics;
        _assignors = PartitionAssignors.Parse(options.PartitionAssignmentStrategy);
        _cooperative = Array.TrueForAll(_assignors, a => a.IsCooperative);
    }

    public string MemberId => _memberId;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Commits offsets as this member, in its current generation.</summary>
    public async Task<ErrorCode> CommitAsync(List<CommittedOffset> offsets)
    {
        await _commitLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ErrorCode result = await _coordinator.CommitOffsets(new OffsetCommitRequest(_memberId, _generation, [.. offsets])).ConfigureAwait(false);
            if (result == ErrorCode.None)
            {
                foreach (CommittedOffset offset in offsets)
                {
                    _committed[offset.TopicPartition] = offset.Offset;
                }
            }

            return result;
        }
        finally
        {
            _commitLock.Release();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int failures = 0;
        long nextCommit = Environment.TickCount64 + (long)_options.AutoCommitInterval.TotalMilliseconds;
        long nextMetadataCheck = Environment.TickCount64 + (long)_options.MetadataMaxAge.TotalMilliseconds;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_rejoin)
                {
                    await RebalanceAsync(stop).ConfigureAwait(false);
                    failures = 0;
                    continue;
                }

                await Task.Delay(_options.HeartbeatInterval, stop).ConfigureAwait(false);
                await HeartbeatAsync().ConfigureAwait(false);
                long now = Environment.TickCount64;
                if (_options.EnableAutoCommit && now >= nextCommit && !_rejoin)
                {
                    await CommitProcessedAsync(_consumer.ProcessedOffsets()).ConfigureAwait(false);
                    nextCommit = now + (long)_options.AutoCommitInterval.TotalMilliseconds;
                }

                if (_leader && now >= nextMetadataCheck && !_rejoin)
                {
                    _rejoin = await PartitionCountsChangedAsync().ConfigureAwait(false);
                    nextMetadataCheck = now + (long)_options.MetadataMaxAge.TotalMilliseconds;
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (Transient.IsTransient(error))
            {
                // The coordinator is moving (its silo died) or unreachable: try again; the session may expire meanwhile.
                await Task.Delay(Transient.Backoff(++failures, _options.RetryBackoff, _options.RetryBackoffMax), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                _consumer.Fail(Transient.ToStreamException(error, $"Consumer group {_options.GroupId}"));
                return;
            }
        }
    }

    private async Task HeartbeatAsync()
    {
        ErrorCode result = await _coordinator.Heartbeat(_memberId, _generation).ConfigureAwait(false);
        switch (result)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.RebalanceInProgress:
                _rejoin = true;
                break;
            case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                LoseAll();
                break;
            default:
                throw new OrleansStreamException(result, $"Heartbeat to group {_options.GroupId} failed with {result}.");
        }
    }

    private async Task RebalanceAsync(CancellationToken stop)
    {
        if (!_cooperative && _owned.Count > 0)
        {
            await RevokeAsync(_owned).ConfigureAwait(false); // eager: everything goes back before the join
        }

        JoinGroupResponse join;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            join = await _coordinator.JoinGroup(new JoinGroupRequest(
                _memberId, _options.ClientId, ConsumerProtocol.ProtocolType, Protocols(),
                (int)_options.SessionTimeout.TotalMilliseconds, (int)_options.MaxPollInterval.TotalMilliseconds)).ConfigureAwait(false);
            if (join.Error == ErrorCode.None)
            {
                break;
            }

            switch (join.Error)
            {
                case ErrorCode.RebalanceInProgress:
                    _memberId = join.MemberId; // still collecting members: our place in the round is kept, under this id
                    continue;
                case ErrorCode.UnknownMemberId:
                    LoseAll();
                    continue;
                default:
                    throw new OrleansStreamException(join.Error, join.ErrorMessage ?? $"JoinGroup {_options.GroupId} failed with {join.Error}.");
            }
        }

        _memberId = join.MemberId;
        _generation = join.GenerationId;
        _leader = join.IsLeader;
        GroupAssignment[] assignments = join.IsLeader ? await AssignAsync(join).ConfigureAwait(false) : [];
        SyncGroupResponse sync = await _coordinator.SyncGroup(new SyncGroupRequest(_memberId, _generation, assignments)).ConfigureAwait(false);
        switch (sync.Error)
        {
            case ErrorCode.None:
                break;
            case ErrorCode.RebalanceInProgress:
                return; // join again
            case ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration:
                LoseAll();
                return;
            default:
                throw new OrleansStreamException(sync.Error, sync.ErrorMessage ?? $"SyncGroup {_options.GroupId} failed with {sync.Error}.");
        }

        _rejoin = false;
        await ApplyAsync(ConsumerProtocol.DecodeAssignment(sync.Assignment)).ConfigureAwait(false);
    }

    private GroupProtocol[] Protocols()
    {
        byte[] subscription = ConsumerProtocol.EncodeSubscription(new Subscription(_topics, [.. _owned], _generation));
        var protocols = new GroupProtocol[_assignors.Length];
        for (int i = 0; i < protocols.Length; i++)
        {
            protocols[i] = new GroupProtocol(_assignors[i].Name, subscription);
        }

        return protocols;
    }

    /// <summary>The leader's part: every member's partitions, from the members' subscriptions and fresh topic metadata.</summary>
    private async Task<GroupAssignment[]> AssignAsync(JoinGroupResponse join)
    {
        var members = new List<AssignorMember>(join.Members.Length);
        var topics = new SortedSet<string>(StringComparer.Ordinal);
        foreach (GroupMemberMetadata member in join.Members)
        {
            Subscription subscription = ConsumerProtocol.DecodeSubscription(member.Metadata);
            members.Add(new AssignorMember(member.MemberId, subscription));
            topics.UnionWith(subscription.Topics);
        }

        Dictionary<string, int> partitionsPerTopic = await PartitionCountsAsync(topics).ConfigureAwait(false);
        IPartitionAssignor assignor = Array.Find(_assignors, a => a.Name == join.ProtocolName)
            ?? throw new OrleansStreamException(ErrorCode.InconsistentGroupProtocol, $"Group {_options.GroupId} chose protocol '{join.ProtocolName}', which this member does not have.");
        Dictionary<string, List<TopicPartition>> assignment = assignor.Assign(partitionsPerTopic, members);
        _assignedPartitionCounts = partitionsPerTopic;
        var result = new GroupAssignment[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            result[i] = new GroupAssignment(members[i].MemberId, ConsumerProtocol.EncodeAssignment(assignment[members[i].MemberId]));
        }

        return result;
    }

    private async Task<Dictionary<string, int>> PartitionCountsAsync(IEnumerable<string> topics)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string topic in topics)
        {
            _metadata.Invalidate(topic);
            try
            {
                counts[topic] = (await _metadata.GetAsync(topic).ConfigureAwait(false)).Partitions.Length;
            }
            catch (OrleansStreamException error) when (error.Code == ErrorCode.UnknownTopicOrPartition)
            {
                // Not there (yet): nothing to assign; the metadata check notices when it appears.
            }
        }

        return counts;
    }

    /// <summary>The leader's watch: a subscribed topic that gained partitions (or appeared) needs a new assignment.</summary>
    private async Task<bool> PartitionCountsChangedAsync()
    {
        var topics = new SortedSet<string>(_assignedPartitionCounts.Keys, StringComparer.Ordinal);
        topics.UnionWith(_topics);
        Dictionary<string, int> now = await PartitionCountsAsync(topics).ConfigureAwait(false);
        foreach ((string topic, int count) in now)
        {
            if (!_assignedPartitionCounts.TryGetValue(topic, out int before) || before != count)
            {
                return true;
            }
        }

        return false;
    }

    private async Task ApplyAsync(List<TopicPartition> assigned)
    {
        var assignedSet = new HashSet<TopicPartition>(assigned);
        var revoked = new List<TopicPartition>();
        foreach (TopicPartition partition in _owned)
        {
            if (!assignedSet.Contains(partition))
            {
                revoked.Add(partition);
            }
        }

        if (revoked.Count > 0)
        {
            await RevokeAsync(revoked).ConfigureAwait(false);
            _rejoin |= _cooperative; // the next generation can now hand them to their new owner
        }

        var added = new List<TopicPartition>();
        foreach (TopicPartition partition in assigned)
        {
            if (!_owned.Contains(partition))
            {
                added.Add(partition);
            }
        }

        if (added.Count > 0)
        {
            CommittedOffset[] committed = await _coordinator.FetchOffsets([.. added]).ConfigureAwait(false);
            var starts = new List<TopicPartitionOffset>(committed.Length);
            foreach (CommittedOffset offset in committed)
            {
                _committed[offset.TopicPartition] = offset.Offset; // the group's word, not what this member committed long ago
                starts.Add(new TopicPartitionOffset(offset.TopicPartition, offset.Offset >= 0 ? offset.Offset : TopicPartitionOffset.Unset));
            }

            _consumer.AddPartitions(starts);
        }

        _owned = assignedSet;
        if (added.Count > 0)
        {
            _consumer.OnAssigned(added);
        }
    }

    /// <summary>
    /// Takes partitions away between two records: waits until the application is not holding one (heartbeating
    /// meanwhile, so a slow record does not cost the membership), stops their fetchers, commits what was processed
    /// (with auto-commit), and tells the application. When <paramref name="closing"/>, it waits at most
    /// <see cref="CloseWait"/>: closing from inside the consume loop holds the hand-out itself, so no record boundary comes.
    /// </summary>
    private async Task RevokeAsync(IReadOnlyCollection<TopicPartition> partitions, bool closing = false)
    {
        var revoked = new List<TopicPartition>(partitions);
        bool held;
        if (closing)
        {
            held = await _consumer.TryHoldHandoutAsync(CloseWait, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            while (!await _consumer.TryHoldHandoutAsync(_options.HeartbeatInterval, _stop.Token).ConfigureAwait(false))
            {
                await _coordinator.Heartbeat(_memberId, _generation).ConfigureAwait(false);
            }

            held = true;
        }

        List<CommittedOffset> processed;
        try
        {
            processed = _consumer.RemovePartitions(revoked);
        }
        finally
        {
            if (held)
            {
                _consumer.ReleaseHandout();
            }
        }

        if (_options.EnableAutoCommit)
        {
            await CommitProcessedAsync(processed).ConfigureAwait(false);
        }

        var owned = new HashSet<TopicPartition>(_owned);
        owned.ExceptWith(revoked);
        _owned = owned;
        _consumer.OnRevoked(revoked);
    }

    /// <summary>The group removed this member: its partitions may already be another's, so they are dropped without a commit.</summary>
    private void LoseAll()
    {
        _memberId = "";
        _generation = -1;
        _rejoin = true;
        if (_owned.Count > 0)
        {
            var lost = new List<TopicPartition>(_owned);
            _consumer.RemovePartitions(lost);
            _owned = [];
            _consumer.OnLost(lost);
        }
    }

    private async Task CommitProcessedAsync(List<CommittedOffset> processed)
    {
        var offsets = new List<CommittedOffset>(processed.Count);
        foreach (CommittedOffset offset in processed)
        {
            if (!_committed.TryGetValue(offset.TopicPartition, out long committed) || offset.Offset > committed)
            {
                offsets.Add(offset);
            }
        }

        if (offsets.Count == 0 || _memberId.Length == 0)
        {
            return;
        }

        ErrorCode result = await CommitAsync(offsets).ConfigureAwait(false);
        if (result is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId)
        {
            _rejoin = true; // the heartbeat will tell the rest
        }
    }

    /// <summary>
    /// Stops the membership dead, as a crashed process would: no more heartbeats, no commit, no goodbye. The group
    /// notices only when the session times out. For fault tests.
    /// </summary>
    public void Abandon() => _stop.Cancel();

    /// <summary>Leaves the group: stops the loop, revokes everything (committing with auto-commit) and says goodbye.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            if (_owned.Count > 0)
            {
                await RevokeAsync(_owned, closing: true).ConfigureAwait(false);
            }

            if (_memberId.Length > 0)
            {
                await _coordinator.LeaveGroup(_memberId).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (Transient.IsTransient(error) || error is OrleansStreamException)
        {
            // The coordinator is unreachable: the session timeout removes this member instead.
        }
        finally
        {
            _stop.Dispose();
            _commitLock.Dispose();
        }
    }
}
