using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Stream.Broker.Controller;
using Orleans.Stream.Broker.Diagnostics;

namespace Orleans.Stream.Broker.Groups;

/// <summary>
/// The coordinator of one consumer group (<see cref="IGroupCoordinatorGrain"/>): a <see cref="ConsumerGroup"/>
/// driven by grain calls and a timer, persisted through grain storage. Reentrant, because joins and syncs wait for
/// other members; every change to the group happens in one synchronous step between awaits, and writes are
/// serialized (one in flight, later changes ride on the next), so interleaving never loses or reorders state.
/// </summary>
[Reentrant]
[GrainType("ostream-group")]
internal sealed partial class GroupCoordinatorGrain(
    [PersistentState("group", ControllerGrain.StorageName)] IPersistentState<GroupState> state,
    IOptions<BrokerOptions> options,
    ILogger<GroupCoordinatorGrain> logger) : Grain, IGroupCoordinatorGrain
{
    /// <summary>The longest a join or sync waits here before answering RebalanceInProgress: well below the 30 s call timeout.</summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(200);

    private ConsumerGroup _group = null!;
    private long _persistedVersion;
    private Task? _writing;
    private bool _registered;

    private static long NowMs => Environment.TickCount64;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string groupId = this.GetPrimaryKeyString();
        GroupSettings settings = GroupSettings.From(options.Value);
        _group = state.RecordExists
            ? ConsumerGroup.Restore(groupId, settings, state.State, NowMs)
            : new ConsumerGroup(groupId, settings);
        _registered = state.RecordExists && state.State.Registered;
        _persistedVersion = _group.Version;
        this.RegisterGrainTimer(_ => TickAsync(), new GrainTimerCreationOptions { DueTime = TickInterval, Period = TickInterval, KeepAlive = true });
        this.RegisterGrainTimer(_ => MeasureLagAsync(), new GrainTimerCreationOptions { DueTime = options.Value.GroupLagInterval, Period = options.Value.GroupLagInterval, Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GroupLagRegistry.Withdraw(_group.GroupId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// High watermark minus committed offset, summed per topic over the partitions the group committed: what an
    /// operator alerts on. Measured while the group has members (an idle group's coordinator deactivates; its lag is
    /// in <c>ostream group describe</c>).
    /// </summary>
    private async Task MeasureLagAsync()
    {
        CommittedOffset[] committed = _group.FetchOffsets(null);
        if (_group.MemberCount == 0 || committed.Length == 0)
        {
            return;
        }

        var ends = new Task<ListOffsetsResponse>[committed.Length];
        for (int i = 0; i < committed.Length; i++)
        {
            ends[i] = GrainFactory.GetGrain<IPartitionGrain>(committed[i].TopicPartition.ToString()).ListOffsets(OffsetSpec.Latest);
        }

        var lags = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < committed.Length; i++)
        {
            try
            {
                ListOffsetsResponse end = await ends[i];
                if (end.Error == ErrorCode.None && committed[i].Offset >= 0)
                {
                    string topic = committed[i].TopicPartition.Topic;
                    lags[topic] = lags.GetValueOrDefault(topic) + Math.Max(0, end.Offset - committed[i].Offset);
                }
            }
            catch (Exception error)
            {
                LogLagFailed(logger, _group.GroupId, committed[i].TopicPartition, error.Message); // a leader moving: next time
            }
        }

        GroupLagRegistry.Withdraw(_group.GroupId);
        foreach ((string topic, long lag) in lags)
        {
            GroupLagRegistry.Report(_group.GroupId, topic, lag);
        }
    }

    public async Task<JoinGroupResponse> JoinGroup(JoinGroupRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Task<JoinGroupResponse> join = _group.Join(request, NowMs);
        await PersistIfChangedAsync();
        JoinGroupResponse response;
        try
        {
            response = await join.WaitAsync(MaxWait);
        }
        catch (TimeoutException)
        {
            // The member keeps its place (and learns its id, if it just got one) and joins again.
            string memberId = _group.AbandonJoin(join) ?? request.MemberId;
            return JoinGroupResponse.Failed(ErrorCode.RebalanceInProgress, memberId, $"Group {_group.GroupId} is still waiting for members to join: join again.");
        }

        if (response.Error == ErrorCode.None && response.IsLeader)
        {
            LogGeneration(logger, _group.GroupId, response.GenerationId, response.ProtocolName, response.Members.Length);
        }

        await PersistIfChangedAsync();
        return response;
    }

    public async Task<SyncGroupResponse> SyncGroup(SyncGroupRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Task<SyncGroupResponse> sync = _group.Sync(request, NowMs);
        await PersistIfChangedAsync();
        try
        {
            return await sync.WaitAsync(MaxWait);
        }
        catch (TimeoutException)
        {
            _group.AbandonSync(sync);
            return new SyncGroupResponse(ErrorCode.RebalanceInProgress, [], $"Group {_group.GroupId}'s leader has not handed in the assignment yet: join again.");
        }
    }

    public Task<ErrorCode> Heartbeat(string memberId, int generationId) => Task.FromResult(_group.Heartbeat(memberId, generationId, NowMs));

    public async Task<ErrorCode> LeaveGroup(string memberId)
    {
        ErrorCode result = _group.Leave(memberId, NowMs);
        await PersistIfChangedAsync();
        return result;
    }

    public async Task<ErrorCode> CommitOffsets(OffsetCommitRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (CommittedOffset offset in request.Offsets)
        {
            if (offset.Offset < 0)
            {
                return ErrorCode.InvalidRequest;
            }
        }

        ErrorCode check = _group.CheckCommit(request, NowMs);
        if (check != ErrorCode.None)
        {
            return check;
        }

        _group.ApplyCommit(request);
        await PersistIfChangedAsync(); // answered only once the offsets are in storage
        return ErrorCode.None;
    }

    public Task<CommittedOffset[]> FetchOffsets(TopicPartition[]? partitions) => Task.FromResult(_group.FetchOffsets(partitions));

    public Task<GroupDescription> Describe() => Task.FromResult(_group.Describe());

    private async Task TickAsync()
    {
        _group.Tick(NowMs);
        await PersistIfChangedAsync();
        if (_group.MemberCount == 0)
        {
            DeactivateOnIdle(); // nobody to expire: the next call finds the group (and its offsets) in storage
        }
    }

    /// <summary>Writes the group if it changed since the last write; returns once a write covering this moment's state is done.</summary>
    private async Task PersistIfChangedAsync()
    {
        long wanted = _group.Version;
        while (_persistedVersion < wanted)
        {
            if (_writing is { } inFlight)
            {
                try
                {
                    await inFlight;
                }
                catch (Exception)
                {
                    // That write failed for its caller; this one tries again with the latest state.
                }

                continue;
            }

            long version = _group.Version;
            Task write = WriteAsync(version);
            _writing = write;
            try
            {
                await write;
            }
            finally
            {
                _writing = null;
            }
        }
    }

    private async Task WriteAsync(long version)
    {
        if (!_registered)
        {
            await GrainFactory.GetGrain<IGroupDirectoryGrain>(0).Register(_group.GroupId);
            _registered = true;
        }

        state.State = _group.Snapshot(_registered);
        await state.WriteStateAsync();
        _persistedVersion = Math.Max(_persistedVersion, version);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group {Group}: could not measure the lag of {Partition}: {Error}")]
    private static partial void LogLagFailed(ILogger logger, string group, TopicPartition partition, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {Group}: generation {Generation} with protocol {Protocol} and {Members} members")]
    private static partial void LogGeneration(ILogger logger, string group, int generation, string? protocol, int members);
}
