using Orleans.Stream.Storage;
using Orleans.Stream.Tiering;

namespace Orleans.Stream.Broker.Logs;

/// <summary>
/// One partition replica on this broker: its open log, the topic incarnation it belongs to, and the role this broker
/// plays for it (leader or follower, in which leader epoch). The partition grain (leader) and the replica grain
/// (follower) of one partition may both be active here for a moment around a leader change: the role claim makes
/// sure only the holder of the newest epoch writes to the log.
/// </summary>
internal sealed class LocalPartition(TopicPartition topicPartition, Guid topicId, PartitionLog log)
{
    // (epoch << 1) | 1 when leading; -2: no role yet. Changed only through TryClaim, read lock-free on every request.
    private long _role = -2;
    private volatile bool _deleted;
    private volatile RemoteManifest? _remote;

    public TopicPartition TopicPartition { get; } = topicPartition;

    /// <summary>The id of the topic this log was created for; a re-created topic of the same name has another.</summary>
    public Guid TopicId { get; } = topicId;

    public PartitionLog Log { get; } = log;

    /// <summary>Set once the topic is deleted: the log is closed and its files are gone.</summary>
    public bool IsDeleted => _deleted;

    internal void MarkDeleted() => _deleted = true;

    /// <summary>The remote manifest as this broker last read or wrote it (leaders only); null until then.</summary>
    public RemoteManifest? Remote
    {
        get => _remote;
        set => _remote = value;
    }

    /// <summary>The partition's first offset: the remote tier's start when it holds any, else the local log's.</summary>
    public long LogStartOffset => _remote is { } remote && remote.EndOffset > remote.LogStartOffset
        ? Math.Min(remote.LogStartOffset, Log.LogStartOffset)
        : Log.LogStartOffset;

    /// <summary>The leader epoch this broker leads in, or -1 when it does not lead.</summary>
    public int LeaderEpoch
    {
        get
        {
            long role = Volatile.Read(ref _role);
            return role >= 0 && (role & 1) == 1 ? (int)(role >> 1) : -1;
        }
    }

    /// <summary>
    /// Claims the log for the leader of <paramref name="leaderEpoch"/>: succeeds unless this broker has already seen a
    /// newer epoch, or followed another leader in this one.
    /// </summary>
    public bool TryLead(int leaderEpoch) => TryClaim(leaderEpoch, leading: true);

    /// <summary>Claims the log for a follower of the leader of <paramref name="leaderEpoch"/> (see <see cref="TryLead"/>).</summary>
    public bool TryFollow(int leaderEpoch) => TryClaim(leaderEpoch, leading: false);

    /// <summary>Whether this broker still leads in <paramref name="leaderEpoch"/> (no newer epoch has been claimed).</summary>
    public bool IsLeading(int leaderEpoch) => Volatile.Read(ref _role) == Role(leaderEpoch, leading: true);

    /// <summary>Whether this broker still follows the leader of <paramref name="leaderEpoch"/>.</summary>
    public bool IsFollowing(int leaderEpoch) => Volatile.Read(ref _role) == Role(leaderEpoch, leading: false);

    public PartitionState Describe(int brokerId, int[]? isr = null)
    {
        PartitionLog log = Log;
        RemoteLogState? remote = _remote is { } manifest
            ? new RemoteLogState(manifest.LogStartOffset, manifest.EndOffset, manifest.SizeInBytes, manifest.Segments.Count)
            : null;
        return new PartitionState(TopicPartition, brokerId, log.LogStartOffset, log.LogEndOffset, log.HighWatermark, log.SizeInBytes, log.Segments.Count, isr, remote);
    }

    private bool TryClaim(int leaderEpoch, bool leading)
    {
        long wanted = Role(leaderEpoch, leading);
        long current = Volatile.Read(ref _role);
        while (true)
        {
            if (current == wanted)
            {
                return true;
            }

            if ((current >> 1) >= leaderEpoch)
            {
                return false; // a newer epoch, or the other role in this one
            }

            long seen = Interlocked.CompareExchange(ref _role, wanted, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    private static long Role(int leaderEpoch, bool leading) => ((long)leaderEpoch << 1) | (leading ? 1L : 0L);
}
