namespace Orleans.Stream.Broker.Groups;

/// <summary>
/// Kafka's classic group membership protocol for one group, without Orleans: joins, generations, the leader's
/// assignment, heartbeats, session expiry and offset commits, on an explicit clock (milliseconds) so tests can drive
/// it. Not thread-safe: its grain calls it from one turn at a time. Waiting calls (JoinGroup, SyncGroup) get tasks
/// that complete when the rebalance does.
/// </summary>
internal sealed class ConsumerGroup
{
    private readonly List<GroupMember> _members = []; // join order: the first is the leader when a new one is needed
    private readonly Dictionary<TopicPartition, CommittedOffset> _offsets;
    private readonly GroupSettings _settings;
    private long _rebalanceDeadlineMs;
    private long _initialRebalanceLimitMs;
    private bool _initialRebalance;

    public ConsumerGroup(string groupId, GroupSettings settings, Dictionary<TopicPartition, CommittedOffset>? offsets = null)
    {
        GroupId = groupId;
        _settings = settings;
        _offsets = offsets ?? [];
    }

    public string GroupId { get; }

    public GroupPhase Phase { get; private set; } = GroupPhase.Empty;

    public int GenerationId { get; private set; }

    public string? ProtocolType { get; private set; }

    public string? Protocol { get; private set; }

    public string? LeaderId { get; private set; }

    public int MemberCount => _members.Count;

    /// <summary>Moves on every change worth persisting (membership, generation, assignment, offsets).</summary>
    public long Version { get; private set; }

    public Task<JoinGroupResponse> Join(JoinGroupRequest request, long nowMs)
    {
        if (string.IsNullOrEmpty(request.ProtocolType) || request.Protocols.Length == 0)
        {
            return Fail(ErrorCode.InconsistentGroupProtocol, request.MemberId, "A member must name its protocol type and at least one protocol.");
        }

        if (request.SessionTimeoutMs < _settings.MinSessionTimeoutMs || request.SessionTimeoutMs > _settings.MaxSessionTimeoutMs)
        {
            return Fail(ErrorCode.InvalidSessionTimeout, request.MemberId,
                $"Session timeout {request.SessionTimeoutMs} ms is outside the broker's range [{_settings.MinSessionTimeoutMs}, {_settings.MaxSessionTimeoutMs}] ms.");
        }

        GroupMember? member = null;
        if (request.MemberId.Length > 0 && (member = Find(request.MemberId)) is null)
        {
            return Fail(ErrorCode.UnknownMemberId, request.MemberId, $"Member {request.MemberId} is not in group {GroupId}; join without a member id.");
        }

        if (!IsCompatible(request, member))
        {
            return Fail(ErrorCode.InconsistentGroupProtocol, request.MemberId,
                $"Group {GroupId} ({ProtocolType}) has no protocol in common with [{string.Join(", ", Names(request.Protocols))}].");
        }

        bool isNew = member is null;
        if (member is null)
        {
            member = new GroupMember($"{(request.ClientId.Length == 0 ? "member" : request.ClientId)}-{Guid.NewGuid():N}", request.ClientId);
            _members.Add(member);
            Version++;
        }
        else if (member.SameProtocols(request.Protocols) &&
                 (Phase == GroupPhase.CompletingRebalance || (Phase == GroupPhase.Stable && member.MemberId != LeaderId)))
        {
            // Nothing changed for this member: it only missed (or repeats) the answer of the current generation.
            member.LastSeenMs = nowMs;
            return Task.FromResult(JoinResponseFor(member));
        }

        member.LastSeenMs = nowMs;
        member.Protocols = request.Protocols;
        member.SessionTimeoutMs = request.SessionTimeoutMs;
        member.RebalanceTimeoutMs = request.RebalanceTimeoutMs;
        ProtocolType = request.ProtocolType;
        member.PendingJoin?.TrySetResult(JoinGroupResponse.Failed(ErrorCode.RebalanceInProgress, member.MemberId, "Superseded by a newer join."));
        var join = new TaskCompletionSource<JoinGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.PendingJoin = join;

        if (Phase != GroupPhase.PreparingRebalance)
        {
            StartRebalance(nowMs);
        }
        else if (_initialRebalance && isNew)
        {
            // Kafka's initial delay: each newcomer buys the others a little more time, up to the rebalance timeout.
            _rebalanceDeadlineMs = Math.Min(nowMs + _settings.InitialRebalanceDelayMs, _initialRebalanceLimitMs);
        }

        member.HasJoined = true;
        TryCompleteJoin(nowMs);
        return join.Task;
    }

    public Task<SyncGroupResponse> Sync(SyncGroupRequest request, long nowMs)
    {
        GroupMember? member = Find(request.MemberId);
        if (member is null)
        {
            return Task.FromResult(new SyncGroupResponse(ErrorCode.UnknownMemberId, [], $"Member {request.MemberId} is not in group {GroupId}."));
        }

        if (request.GenerationId != GenerationId)
        {
            return Task.FromResult(new SyncGroupResponse(ErrorCode.IllegalGeneration, [], $"Generation {request.GenerationId} is not group {GroupId}'s current one ({GenerationId})."));
        }

        member.LastSeenMs = nowMs;
        switch (Phase)
        {
            case GroupPhase.Stable:
                return Task.FromResult(new SyncGroupResponse(ErrorCode.None, member.Assignment));
            case GroupPhase.CompletingRebalance when member.MemberId == LeaderId:
                foreach (GroupAssignment assignment in request.Assignments)
                {
                    if (Find(assignment.MemberId) is { } assigned)
                    {
                        assigned.Assignment = assignment.Assignment;
                    }
                }

                Phase = GroupPhase.Stable;
                Version++;
                foreach (GroupMember waiting in _members)
                {
                    waiting.PendingSync?.TrySetResult(new SyncGroupResponse(ErrorCode.None, waiting.Assignment));
                    waiting.PendingSync = null;
                }

                return Task.FromResult(new SyncGroupResponse(ErrorCode.None, member.Assignment));
            case GroupPhase.CompletingRebalance:
                member.PendingSync?.TrySetResult(new SyncGroupResponse(ErrorCode.RebalanceInProgress, [], "Superseded by a newer sync."));
                var sync = new TaskCompletionSource<SyncGroupResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                member.PendingSync = sync;
                return sync.Task;
            default:
                return Task.FromResult(new SyncGroupResponse(ErrorCode.RebalanceInProgress, [], $"Group {GroupId} is rebalancing: join again."));
        }
    }

    public ErrorCode Heartbeat(string memberId, int generationId, long nowMs)
    {
        if (Find(memberId) is not { } member)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (generationId != GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        member.LastSeenMs = nowMs;
        return Phase == GroupPhase.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
    }

    public ErrorCode Leave(string memberId, long nowMs)
    {
        if (Find(memberId) is not { } member)
        {
            return ErrorCode.UnknownMemberId;
        }

        Remove(member);
        AfterDepartures(nowMs);
        return ErrorCode.None;
    }

    /// <summary>Expires members that missed their session timeout and completes a rebalance whose time is up.</summary>
    public void Tick(long nowMs)
    {
        bool removed = false;
        for (int i = _members.Count - 1; i >= 0; i--)
        {
            GroupMember member = _members[i];
            if (!member.IsWaiting && nowMs - member.LastSeenMs > member.SessionTimeoutMs)
            {
                Remove(member);
                removed = true;
            }
        }

        if (removed)
        {
            AfterDepartures(nowMs);
        }

        TryCompleteJoin(nowMs);
    }

    public ErrorCode CheckCommit(OffsetCommitRequest request, long nowMs)
    {
        if (request.GenerationId < 0 && request.MemberId.Length == 0)
        {
            // A consumer outside the group protocol (assigned partitions by hand) may commit while nobody is in the group.
            return _members.Count == 0 ? ErrorCode.None : ErrorCode.UnknownMemberId;
        }

        if (Find(request.MemberId) is not { } member)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (request.GenerationId != GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        if (Phase == GroupPhase.CompletingRebalance)
        {
            return ErrorCode.RebalanceInProgress;
        }

        member.LastSeenMs = nowMs;
        return ErrorCode.None;
    }

    public void ApplyCommit(OffsetCommitRequest request)
    {
        foreach (CommittedOffset offset in request.Offsets)
        {
            _offsets[offset.TopicPartition] = offset;
        }

        Version++;
    }

    public CommittedOffset[] FetchOffsets(TopicPartition[]? partitions)
    {
        if (partitions is null)
        {
            return [.. _offsets.Values];
        }

        var result = new CommittedOffset[partitions.Length];
        for (int i = 0; i < partitions.Length; i++)
        {
            result[i] = _offsets.TryGetValue(partitions[i], out CommittedOffset offset) ? offset : new CommittedOffset(partitions[i], -1);
        }

        return result;
    }

    /// <summary>
    /// Stops waiting for an answer to a join whose caller gave up (it will join again and be answered then); returns
    /// the id of the member that join was for, which a member joining for the first time has not learnt yet.
    /// </summary>
    public string? AbandonJoin(Task<JoinGroupResponse> join)
    {
        foreach (GroupMember member in _members)
        {
            if (member.PendingJoin?.Task == join)
            {
                member.PendingJoin = null;
                return member.MemberId;
            }
        }

        return null;
    }

    /// <summary>Stops waiting for an answer to a sync whose caller gave up.</summary>
    public void AbandonSync(Task<SyncGroupResponse> sync)
    {
        foreach (GroupMember member in _members)
        {
            if (member.PendingSync?.Task == sync)
            {
                member.PendingSync = null;
            }
        }
    }

    public GroupDescription Describe()
    {
        var members = new GroupMemberDescription[_members.Count];
        for (int i = 0; i < members.Length; i++)
        {
            GroupMember member = _members[i];
            members[i] = new GroupMemberDescription(member.MemberId, member.ClientId, member.MetadataFor(Protocol), member.Assignment);
        }

        return new GroupDescription(GroupId, Phase.ToString(), GenerationId, ProtocolType, Protocol, LeaderId, members, [.. _offsets.Values]);
    }

    /// <summary>What to persist now.</summary>
    public GroupState Snapshot(bool registered)
    {
        var members = new List<PersistedMember>(_members.Count);
        foreach (GroupMember member in _members)
        {
            members.Add(new PersistedMember(member.MemberId, member.ClientId, member.SessionTimeoutMs, member.RebalanceTimeoutMs, member.Protocols, member.Assignment));
        }

        return new GroupState
        {
            GenerationId = GenerationId,
            ProtocolType = ProtocolType,
            Protocol = Protocol,
            LeaderId = LeaderId,
            Members = members,
            Offsets = [.. _offsets.Values],
            Registered = registered,
            Phase = (int)Phase,
        };
    }

    /// <summary>
    /// The group as persisted, with every member given a fresh session. A group persisted mid-rebalance, after the
    /// new generation was announced but before its assignment was stored, rebalances again (its members' syncs
    /// are answered RebalanceInProgress and they rejoin); otherwise members carry on with the generation they have.
    /// </summary>
    public static ConsumerGroup Restore(string groupId, GroupSettings settings, GroupState state, long nowMs)
    {
        var offsets = new Dictionary<TopicPartition, CommittedOffset>();
        foreach (CommittedOffset offset in state.Offsets)
        {
            offsets[offset.TopicPartition] = offset;
        }

        var group = new ConsumerGroup(groupId, settings, offsets)
        {
            GenerationId = state.GenerationId,
            ProtocolType = state.ProtocolType,
            Protocol = state.Protocol,
            LeaderId = state.LeaderId,
        };

        foreach (PersistedMember persisted in state.Members)
        {
            group._members.Add(new GroupMember(persisted.MemberId, persisted.ClientId)
            {
                SessionTimeoutMs = persisted.SessionTimeoutMs,
                RebalanceTimeoutMs = persisted.RebalanceTimeoutMs,
                Protocols = persisted.Protocols,
                Assignment = persisted.Assignment,
                LastSeenMs = nowMs,
            });
        }

        if (group._members.Count == 0)
        {
            group.Phase = GroupPhase.Empty;
        }
        else if ((GroupPhase)state.Phase == GroupPhase.CompletingRebalance)
        {
            group.StartRebalance(nowMs);
        }
        else
        {
            group.Phase = GroupPhase.Stable;
        }

        return group;
    }

    private void StartRebalance(long nowMs)
    {
        _initialRebalance = Phase == GroupPhase.Empty;
        Phase = GroupPhase.PreparingRebalance;
        int rebalanceTimeout = 0;
        foreach (GroupMember member in _members)
        {
            member.HasJoined = false;
            member.PendingSync?.TrySetResult(new SyncGroupResponse(ErrorCode.RebalanceInProgress, [], $"Group {GroupId} is rebalancing: join again."));
            member.PendingSync = null;
            rebalanceTimeout = Math.Max(rebalanceTimeout, member.RebalanceTimeoutMs);
        }

        if (_initialRebalance)
        {
            _rebalanceDeadlineMs = nowMs + _settings.InitialRebalanceDelayMs;
            _initialRebalanceLimitMs = nowMs + Math.Max(rebalanceTimeout, _settings.InitialRebalanceDelayMs);
        }
        else
        {
            _rebalanceDeadlineMs = nowMs + rebalanceTimeout;
        }
    }

    /// <summary>
    /// Announces the next generation once every member has joined (or, for a group that was empty, once the initial
    /// delay is over), or when the rebalance timeout expires, dropping the members that did not join.
    /// </summary>
    private void TryCompleteJoin(long nowMs)
    {
        if (Phase != GroupPhase.PreparingRebalance)
        {
            return;
        }

        bool timeUp = nowMs >= _rebalanceDeadlineMs;
        if (!timeUp && (_initialRebalance || !AllJoined()))
        {
            return;
        }

        for (int i = _members.Count - 1; i >= 0; i--)
        {
            if (!_members[i].HasJoined)
            {
                Remove(_members[i]);
            }
        }

        GenerationId++;
        Version++;
        if (_members.Count == 0)
        {
            BecomeEmpty();
            return;
        }

        Protocol = SelectProtocol();
        if (LeaderId is null || Find(LeaderId) is null)
        {
            LeaderId = _members[0].MemberId;
        }

        Phase = GroupPhase.CompletingRebalance;
        foreach (GroupMember member in _members)
        {
            member.Assignment = [];
            member.HasJoined = false;
            member.PendingJoin?.TrySetResult(JoinResponseFor(member));
            member.PendingJoin = null;
        }
    }

    private JoinGroupResponse JoinResponseFor(GroupMember member)
    {
        GroupMemberMetadata[] members = [];
        if (member.MemberId == LeaderId)
        {
            members = new GroupMemberMetadata[_members.Count];
            for (int i = 0; i < members.Length; i++)
            {
                members[i] = new GroupMemberMetadata(_members[i].MemberId, _members[i].MetadataFor(Protocol));
            }
        }

        return new JoinGroupResponse(ErrorCode.None, GenerationId, Protocol, LeaderId!, member.MemberId, members);
    }

    /// <summary>After members left or expired: a rebalance for the rest, or an empty group.</summary>
    private void AfterDepartures(long nowMs)
    {
        Version++;
        if (Phase == GroupPhase.PreparingRebalance)
        {
            TryCompleteJoin(nowMs);
        }
        else if (_members.Count == 0)
        {
            GenerationId++;
            BecomeEmpty();
        }
        else
        {
            StartRebalance(nowMs);
        }
    }

    private void BecomeEmpty()
    {
        Phase = GroupPhase.Empty;
        Protocol = null;
        LeaderId = null;
    }

    private void Remove(GroupMember member)
    {
        member.PendingJoin?.TrySetResult(JoinGroupResponse.Failed(ErrorCode.UnknownMemberId, member.MemberId, $"Member {member.MemberId} was removed from group {GroupId}."));
        member.PendingSync?.TrySetResult(new SyncGroupResponse(ErrorCode.UnknownMemberId, [], $"Member {member.MemberId} was removed from group {GroupId}."));
        member.PendingJoin = null;
        member.PendingSync = null;
        _members.Remove(member);
    }

    private bool AllJoined()
    {
        foreach (GroupMember member in _members)
        {
            if (!member.HasJoined)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Kafka's vote: among the protocols every member supports, each member votes for its first choice.</summary>
    private string SelectProtocol()
    {
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (GroupMember member in _members)
        {
            foreach (GroupProtocol protocol in member.Protocols)
            {
                if (SupportedByAll(protocol.Name, except: null))
                {
                    votes[protocol.Name] = votes.GetValueOrDefault(protocol.Name) + 1;
                    break;
                }
            }
        }

        string chosen = "";
        int most = -1;
        foreach (GroupProtocol protocol in _members[0].Protocols)
        {
            if (votes.TryGetValue(protocol.Name, out int count) && count > most)
            {
                (chosen, most) = (protocol.Name, count);
            }
        }

        return chosen;
    }

    private bool IsCompatible(JoinGroupRequest request, GroupMember? member)
    {
        bool othersPresent = _members.Count > (member is null ? 0 : 1);
        if (!othersPresent)
        {
            return true;
        }

        if (request.ProtocolType != ProtocolType)
        {
            return false;
        }

        foreach (GroupProtocol protocol in request.Protocols)
        {
            if (SupportedByAll(protocol.Name, except: member))
            {
                return true;
            }
        }

        return false;
    }

    private bool SupportedByAll(string protocol, GroupMember? except)
    {
        foreach (GroupMember member in _members)
        {
            if (member == except)
            {
                continue;
            }

            bool supports = false;
            foreach (GroupProtocol candidate in member.Protocols)
            {
                supports |= candidate.Name == protocol;
            }

            if (!supports)
            {
                return false;
            }
        }

        return true;
    }

    private GroupMember? Find(string memberId)
    {
        foreach (GroupMember member in _members)
        {
            if (member.MemberId == memberId)
            {
                return member;
            }
        }

        return null;
    }

    private static IEnumerable<string> Names(GroupProtocol[] protocols)
    {
        foreach (GroupProtocol protocol in protocols)
        {
            yield return protocol.Name;
        }
    }

    private static Task<JoinGroupResponse> Fail(ErrorCode error, string memberId, string message) =>
        Task.FromResult(JoinGroupResponse.Failed(error, memberId, message));
}

/// <summary>The broker's limits for groups, in milliseconds.</summary>
internal readonly record struct GroupSettings(int InitialRebalanceDelayMs, int MinSessionTimeoutMs, int MaxSessionTimeoutMs)
{
    public static GroupSettings From(BrokerOptions options) => new(
        (int)options.GroupInitialRebalanceDelay.TotalMilliseconds,
        (int)options.GroupMinSessionTimeout.TotalMilliseconds,
        (int)Math.Min(int.MaxValue, options.GroupMaxSessionTimeout.TotalMilliseconds));
}
