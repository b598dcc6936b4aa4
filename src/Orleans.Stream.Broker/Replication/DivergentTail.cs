using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// Cuts a follower's log back to where it last agrees with the leader's, by leader epoch (Kafka's KIP-101, with
/// KIP-279's repeated rounds), never by high watermark: a follower may hold acknowledged records above its own high
/// watermark, and a returning old leader may hold records nobody else has.
/// <para>
/// Each epoch had one leader, and every replica's records of an epoch are a prefix of that leader's, so two logs agree
/// up to the end of the newest epoch both have, and no further. The follower asks the leader where its own newest epoch
/// ends there; if the leader never had that epoch it answers an older one, the follower cuts everything after that
/// older epoch and asks again, until the epoch it asks about is one the leader had.
/// </para>
/// </summary>
internal static class DivergentTail
{
    /// <summary>Truncates <paramref name="log"/> as the leader's answers require; returns the resulting log end offset.</summary>
    /// <param name="log">The follower's log.</param>
    /// <param name="askLeader">The leader's answer for one epoch (see <see cref="IPartitionGrain.OffsetForLeaderEpoch"/>).</param>
    public static async ValueTask<long> TruncateAsync(PartitionLog log, Func<int, Task<OffsetForLeaderEpochResponse>> askLeader)
    {
        while (true)
        {
            int latest = log.LatestEpoch;
            long logEnd = log.LogEndOffset;
            if (latest < 0 || logEnd == log.LogStartOffset)
            {
                return logEnd; // nothing here that could disagree
            }

            OffsetForLeaderEpochResponse answer = await askLeader(latest).ConfigureAwait(true);
            if (answer.Error != ErrorCode.None)
            {
                throw new OrleansStreamException(answer.Error, answer.ErrorMessage ?? $"The leader could not say where epoch {latest} ends.");
            }

            long target;
            if (answer.Epoch < 0)
            {
                // The leader has no epoch this old (its log start moved past it): keep only what was committed.
                target = log.HighWatermark;
            }
            else if (answer.Epoch == latest)
            {
                target = answer.EndOffset;
            }
            else
            {
                // The leader never had our newest epoch: everything after the epoch it did have goes, then ask again.
                EpochEndOffset ours = log.EndOffsetForEpoch(answer.Epoch);
                target = ours.Epoch < 0 ? log.LogStartOffset : Math.Min(answer.EndOffset, ours.EndOffset);
            }

            target = Math.Max(target, log.LogStartOffset);
            if (target < logEnd)
            {
                await log.TruncateToAsync(target).ConfigureAwait(true);
            }

            if (answer.Epoch == latest || answer.Epoch < 0 || target >= logEnd)
            {
                return log.LogEndOffset;
            }
        }
    }
}
