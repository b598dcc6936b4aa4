using Orleans.Concurrency;

namespace Orleans.Stream;

/// <summary>
/// The leader of one partition, keyed <c>topic/partition</c> (see <see cref="TopicPartition"/>). It is placed on
/// the silo of the partition's leader broker and serves from that broker's local log. Produce and fetch report
/// failures as <see cref="ErrorCode"/>s in their responses, the way Kafka does, rather than as exceptions.
/// </summary>
public interface IPartitionGrain : IGrainWithStringKey
{
    Task<ProduceResponse> Produce(ProduceRequest request);

    /// <summary><c>acks=0</c>: the caller does not wait and learns nothing.</summary>
    [OneWay]
    Task ProduceNoAck(ProduceRequest request);

    Task<FetchResponse> Fetch(FetchRequest request);

    /// <summary><paramref name="timestamp"/> is <see cref="OffsetSpec.Latest"/>, <see cref="OffsetSpec.Earliest"/> or ms since the epoch.</summary>
    Task<ListOffsetsResponse> ListOffsets(long timestamp);

    Task<PartitionState> Describe();

    /// <summary>
    /// Where <paramref name="epoch"/> ends in the leader's log (see <see cref="OffsetForLeaderEpochResponse"/>).
    /// <paramref name="currentLeaderEpoch"/> is the caller's idea of the current epoch: a leader with another one answers
    /// FencedLeaderEpoch (caller is behind) or NotLeaderOrFollower (this leader is behind), so nobody truncates against a stale leader.
    /// </summary>
    Task<OffsetForLeaderEpochResponse> OffsetForLeaderEpoch(int currentLeaderEpoch, int epoch);

    /// <summary>
    /// The controller tells the leader of a change (ISR, leader, epoch). A leader that finds itself deposed stops serving and
    /// deactivates; one that is not active yet activates on its new leader broker, which starts replication.
    /// </summary>
    [OneWay]
    Task PartitionChanged(PartitionDescription partition);
}
