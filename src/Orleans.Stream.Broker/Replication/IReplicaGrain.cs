namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// A follower replica of one partition (key <c>topic/partition/brokerId</c>), placed on that broker's silo: it
/// writes what the leader sends into the broker's local log, exactly as the leader wrote it.
/// </summary>
internal interface IReplicaGrain : IGrainWithStringKey
{
    /// <summary>
    /// The leader of <paramref name="leaderEpoch"/> (broker <paramref name="leaderBrokerId"/>) starts a replication
    /// session: the follower truncates any tail that diverges from the leader's log (KIP-101), starts afresh at
    /// <paramref name="leaderLogStartOffset"/> if its log ends before that (a new replica of a log that retention has
    /// trimmed), and answers the offset replication continues from.
    /// </summary>
    [ResponseTimeout("00:00:10")]
    Task<ReplicateResponse> StartFollowing(int leaderBrokerId, int leaderEpoch, long leaderLogStartOffset);

    /// <summary>Appends the leader's next batches (possibly none: a heartbeat carrying the high watermark).</summary>
    [ResponseTimeout("00:00:10")]
    Task<ReplicateResponse> Replicate(ReplicateRequest request);
}
