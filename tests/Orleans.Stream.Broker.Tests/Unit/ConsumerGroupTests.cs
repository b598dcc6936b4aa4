using Orleans.Stream.Broker.Groups;

namespace Orleans.Stream.Broker.Tests.Unit;

public sealed class ConsumerGroupTests
{
    private static readonly GroupSettings Settings = new(InitialRebalanceDelayMs: 100, MinSessionTimeoutMs: 1000, MaxSessionTimeoutMs: 60_000);

    private static JoinGroupRequest Join(string memberId = "", string protocol = "range", byte metadata = 1, int sessionMs = 10_000) =>
        new(memberId, "client", "consumer", [new GroupProtocol(protocol, [metadata])], sessionMs, 30_000);

    [Fact]
    public void Members_that_join_together_get_one_generation_one_leader_and_the_leader_sees_everyones_metadata()
    {
        var group = new ConsumerGroup("g", Settings);
        Task<JoinGroupResponse> a = group.Join(Join(metadata: 1), 0);
        Task<JoinGroupResponse> b = group.Join(Join(metadata: 2), 50);
        Assert.False(a.IsCompleted); // the initial delay collects members

        group.Tick(120); // 50 + 100 not yet reached
        Assert.False(a.IsCompleted);
        group.Tick(151);
        Assert.True(a.IsCompleted && b.IsCompleted);
        Assert.Equal(1, a.Result.GenerationId);
        Assert.Equal(a.Result.LeaderId, b.Result.LeaderId);
        JoinGroupResponse leader = a.Result.IsLeader ? a.Result : b.Result;
        Assert.Equal(2, leader.Members.Length);
        Assert.Equal(new byte[] { 1, 2 }, leader.Members.Select(m => m.Metadata[0]).Order().ToArray());
        Assert.Empty((a.Result.IsLeader ? b.Result : a.Result).Members);
        Assert.Equal(GroupPhase.CompletingRebalance, group.Phase);
    }

    [Fact]
    public void Followers_wait_in_sync_for_the_leaders_assignment_then_the_group_is_stable()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = StartTwo(group);

        Task<SyncGroupResponse> waiting = group.Sync(new SyncGroupRequest(follower.MemberId, 1, []), 300);
        Assert.False(waiting.IsCompleted);
        SyncGroupResponse own = group.Sync(new SyncGroupRequest(leader.MemberId, 1,
            [new GroupAssignment(leader.MemberId, [10]), new GroupAssignment(follower.MemberId, [20])]), 310).Result;
        Assert.Equal([10], own.Assignment);
        Assert.Equal([20], waiting.Result.Assignment);
        Assert.Equal(GroupPhase.Stable, group.Phase);
        Assert.Equal(ErrorCode.None, group.Heartbeat(follower.MemberId, 1, 320));
    }

    [Fact]
    public void A_new_member_starts_a_rebalance_the_others_learn_of_it_from_their_heartbeat_and_stale_generations_are_refused()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);

        Task<JoinGroupResponse> newcomer = group.Join(Join(metadata: 3), 1000);
        Assert.Equal(GroupPhase.PreparingRebalance, group.Phase);
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(leader.MemberId, 1, 1001));

        Task<JoinGroupResponse> again1 = group.Join(Join(leader.MemberId), 1002);
        Assert.False(newcomer.IsCompleted);
        Task<JoinGroupResponse> again2 = group.Join(Join(follower.MemberId, metadata: 2), 1003);
        Assert.True(newcomer.IsCompleted && again1.IsCompleted && again2.IsCompleted); // everyone is in: no need to wait
        Assert.Equal(2, again1.Result.GenerationId);
        Assert.Equal(leader.MemberId, again1.Result.LeaderId); // the leader stays the leader

        Assert.Equal(ErrorCode.IllegalGeneration, group.Heartbeat(follower.MemberId, 1, 1004));
        Assert.Equal(ErrorCode.IllegalGeneration, group.CheckCommit(new OffsetCommitRequest(follower.MemberId, 1, []), 1005));
        Assert.Equal(ErrorCode.RebalanceInProgress, group.CheckCommit(new OffsetCommitRequest(follower.MemberId, 2, []), 1006));
        Assert.Equal(ErrorCode.UnknownMemberId, group.CheckCommit(new OffsetCommitRequest("someone-else", 2, []), 1007));
    }

    [Fact]
    public void A_member_that_stops_heartbeating_is_removed_after_its_session_timeout_and_the_rest_rebalance()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);

        for (long now = 1000; now <= 10_300; now += 1000)
        {
            Assert.Equal(ErrorCode.None, group.Heartbeat(leader.MemberId, 1, now));
            group.Tick(now);
        }

        Assert.Equal(2, group.MemberCount); // the follower was last seen at 400: 10 s later it is still in
        group.Tick(10_401);
        Assert.Equal(1, group.MemberCount);
        Assert.Equal(GroupPhase.PreparingRebalance, group.Phase);
        Assert.Equal(ErrorCode.UnknownMemberId, group.Heartbeat(follower.MemberId, 1, 10_402));

        Task<JoinGroupResponse> rejoin = group.Join(Join(leader.MemberId), 10_403);
        Assert.True(rejoin.IsCompleted);
        Assert.Equal(2, rejoin.Result.GenerationId);
        Assert.Single(rejoin.Result.Members);
    }

    [Fact]
    public void A_member_that_does_not_rejoin_within_the_rebalance_timeout_is_dropped()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);
        Task<JoinGroupResponse> rejoin = group.Join(Join(leader.MemberId, metadata: 9), 1000);
        Assert.Equal(ErrorCode.RebalanceInProgress, group.Heartbeat(follower.MemberId, 1, 30_000)); // alive, but never rejoins
        group.Tick(30_999);
        Assert.False(rejoin.IsCompleted);
        group.Tick(31_000);
        Assert.True(rejoin.IsCompleted);
        Assert.Single(rejoin.Result.Members);
    }

    [Fact]
    public void A_join_given_up_by_its_caller_tells_it_its_id_and_a_member_that_never_returns_still_expires()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);
        Task<JoinGroupResponse> newcomer = group.Join(Join(metadata: 3), 1000);
        string? id = group.AbandonJoin(newcomer);
        Assert.NotNull(id);
        Assert.StartsWith("client-", id);
        Assert.Equal(3, group.MemberCount);

        for (long now = 2000; now <= 11_000; now += 1000)
        {
            group.Heartbeat(leader.MemberId, 1, now);
            group.Heartbeat(follower.MemberId, 1, now);
            group.Tick(now);
        }

        Assert.Equal(3, group.MemberCount);
        group.Tick(11_001); // the newcomer was last seen at 1000, with a 10 s session
        Assert.Equal(2, group.MemberCount);
    }

    [Fact]
    public void Leaving_and_commits_outside_a_generation_follow_kafkas_rules()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);
        var offsets = new[] { new CommittedOffset(new TopicPartition("t", 0), 42) };
        Assert.Equal(ErrorCode.UnknownMemberId, group.CheckCommit(new OffsetCommitRequest("", -1, offsets), 500));
        Assert.Equal(ErrorCode.None, group.CheckCommit(new OffsetCommitRequest(follower.MemberId, 1, offsets), 501));
        group.ApplyCommit(new OffsetCommitRequest(follower.MemberId, 1, offsets));

        Assert.Equal(ErrorCode.None, group.Leave(follower.MemberId, 600));
        Assert.Equal(ErrorCode.None, group.Leave(leader.MemberId, 601));
        Assert.Equal(GroupPhase.Empty, group.Phase);
        Assert.Equal(ErrorCode.None, group.CheckCommit(new OffsetCommitRequest("", -1, offsets), 602)); // no members: a manual commit is fine
        Assert.Equal(42, group.FetchOffsets([new TopicPartition("t", 0)])[0].Offset);
        Assert.Equal(-1, group.FetchOffsets([new TopicPartition("t", 1)])[0].Offset);
    }

    [Fact]
    public void Members_without_a_protocol_in_common_are_refused()
    {
        var group = new ConsumerGroup("g", Settings);
        Stabilize(group);
        JoinGroupResponse refused = group.Join(Join(protocol: "roundrobin"), 1000).Result;
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, refused.Error);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, group.Join(Join(sessionMs: 10), 1001).Result.Error);
    }

    [Fact]
    public void A_group_restored_from_storage_keeps_its_stable_generation_but_one_caught_mid_assignment_rebalances()
    {
        var group = new ConsumerGroup("g", Settings);
        (JoinGroupResponse leader, JoinGroupResponse follower) = Stabilize(group);
        group.ApplyCommit(new OffsetCommitRequest(leader.MemberId, 1, [new CommittedOffset(new TopicPartition("t", 3), 7)]));

        ConsumerGroup restored = ConsumerGroup.Restore("g", Settings, group.Snapshot(registered: true), nowMs: 50_000);
        Assert.Equal(GroupPhase.Stable, restored.Phase);
        Assert.Equal(ErrorCode.None, restored.Heartbeat(follower.MemberId, 1, 50_001));
        Assert.Equal([20], restored.Sync(new SyncGroupRequest(follower.MemberId, 1, []), 50_002).Result.Assignment);
        Assert.Equal(7, restored.FetchOffsets([new TopicPartition("t", 3)])[0].Offset);

        group.Join(Join(leader.MemberId, metadata: 5), 1000);
        group.Join(Join(follower.MemberId, metadata: 2), 1001); // generation 2 announced, no assignment yet
        Assert.Equal(GroupPhase.CompletingRebalance, group.Phase);
        ConsumerGroup midway = ConsumerGroup.Restore("g", Settings, group.Snapshot(registered: true), nowMs: 60_000);
        Assert.Equal(GroupPhase.PreparingRebalance, midway.Phase);
        Assert.Equal(ErrorCode.RebalanceInProgress, midway.Sync(new SyncGroupRequest(follower.MemberId, 2, []), 60_001).Result.Error);
    }

    private static (JoinGroupResponse Leader, JoinGroupResponse Follower) StartTwo(ConsumerGroup group)
    {
        Task<JoinGroupResponse> a = group.Join(Join(metadata: 1), 0);
        Task<JoinGroupResponse> b = group.Join(Join(metadata: 2), 10);
        group.Tick(200);
        return a.Result.IsLeader ? (a.Result, b.Result) : (b.Result, a.Result);
    }

    private static (JoinGroupResponse Leader, JoinGroupResponse Follower) Stabilize(ConsumerGroup group)
    {
        (JoinGroupResponse leader, JoinGroupResponse follower) = StartTwo(group);
        Task<SyncGroupResponse> waiting = group.Sync(new SyncGroupRequest(follower.MemberId, 1, []), 300);
        group.Sync(new SyncGroupRequest(leader.MemberId, 1, [new GroupAssignment(leader.MemberId, [10]), new GroupAssignment(follower.MemberId, [20])]), 400);
        Assert.True(waiting.IsCompleted);
        group.Heartbeat(follower.MemberId, 1, 400);
        return (leader, follower);
    }
}
