using System.Buffers.Binary;
using Orleans.Stream.Storage.Log;
using static Orleans.Stream.Storage.Format.RecordBatchLayout;

namespace Orleans.Stream.Storage;

public sealed partial class PartitionLog
{
    // Changed by the writer only; see LeaderEpochCache.
    private readonly LeaderEpochCache _epochs;

    /// <summary>The newest leader epoch among the log's batches (kept while retention deletes them), -1 when none.</summary>
    public int LatestEpoch => _epochs.LatestEpoch;

    /// <summary>The leader-epoch cache's entries (epoch, first offset), oldest first.</summary>
    internal IReadOnlyList<EpochEntry> LeaderEpochEntries => _epochs.Entries;

    /// <summary>
    /// Kafka's OffsetsForLeaderEpoch: the newest epoch in this log that is ≤ <paramref name="epoch"/>, and the offset
    /// where it ends: the first offset of the next newer epoch, or <see cref="LogEndOffset"/> for the newest.
    /// (-1, -1) when every epoch in the log is newer (or it has none). Safe from any thread, beside appends.
    /// </summary>
    public EpochEndOffset EndOffsetForEpoch(int epoch)
    {
        while (true)
        {
            long generation = Volatile.Read(ref _generation);
            if (generation % 2 != 0)
            {
                Thread.Yield(); // a truncation is moving the log end and the cache together
                continue;
            }

            // Log end first, then the answer as of it: epochs the writer records meanwhile start past it and are left out.
            long logEnd = LogEndOffset;
            EpochEndOffset answer = _epochs.EndOffsetFor(epoch, logEnd);
            if (Volatile.Read(ref _generation) == generation)
            {
                return answer;
            }
        }
    }

    /// <summary>
    /// Writer only, after offsets are stamped and before the bytes are written: records each batch whose leader epoch
    /// is newer than the log's latest, so the file never lags the log. An epoch given to the append is in every
    /// batch; otherwise (replicated data, or a producer append without one) the epoch is what each batch carries,
    /// which is what a rebuild from the headers would find.
    /// </summary>
    private void RecordLeaderEpochs(ReadOnlySpan<byte> batches, int? stampedEpoch)
    {
        int latest = _epochs.LatestEpoch;
        if (stampedEpoch is int stamped)
        {
            if (stamped > latest)
            {
                _epochs.Assign(stamped, BinaryPrimitives.ReadInt64BigEndian(batches));
            }

            return;
        }

        int position = 0;
        while (position < batches.Length)
        {
            ReadOnlySpan<byte> batch = batches[position..];
            int epoch = BinaryPrimitives.ReadInt32BigEndian(batch[PartitionLeaderEpochOffset..]);
            if (epoch > latest)
            {
                _epochs.Assign(epoch, BinaryPrimitives.ReadInt64BigEndian(batch));
                latest = epoch;
            }

            position += BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]) + LogOverhead;
        }
    }
}
