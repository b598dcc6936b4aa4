using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// A follower of one partition on one broker (key <c>topic/partition/brokerId</c>), placed on that broker by
/// <see cref="BrokerPlacement"/>. Not reentrant: the leader's batches are appended one request at a time, in the
/// order they arrive, and each must start exactly at the log end (anything else is refused and the leader resends
/// from the offset in the answer), so a lost or reordered message can never leave a gap or a duplicate.
/// </summary>
[GrainType(GrainTypeString), BrokerPlacement]
internal sealed partial class ReplicaGrain(LogManager logs, ILogger<ReplicaGrain> logger) : Grain, IReplicaGrain
{
    public const string GrainTypeString = "ostream-replica";
    public static readonly GrainType GrainTypeName = GrainType.Create(GrainTypeString);

    private ReplicaKey _key;
    private LocalPartition? _local;
    private int _leaderEpoch = -1;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ReplicaKey.Parse(this.GetPrimaryKeyString());
        return _key.BrokerId == logs.BrokerId
            ? Task.CompletedTask
            : throw new OrleansStreamException(ErrorCode.NotLeaderOrFollower, $"Replica {_key} activated on broker {logs.BrokerId}; refusing to serve.");
    }

    public async Task<ReplicateResponse> StartFollowing(int leaderBrokerId, int leaderEpoch, long leaderLogStartOffset)
    {
        TopicPartition topicPartition = _key.TopicPartition;
        TopicDescription? topic = await GrainFactory.GetGrain<IControllerGrain>(0).DescribeTopic(topicPartition.Topic);
        if (topic is null || topicPartition.Partition >= topic.Partitions.Length)
        {
            return ReplicateResponse.Failed(ErrorCode.UnknownTopicOrPartition, $"Partition {topicPartition} does not exist.");
        }

        PartitionDescription partition = topic.Partitions[topicPartition.Partition];
        if (partition.LeaderEpoch > leaderEpoch)
        {
            return ReplicateResponse.Failed(ErrorCode.FencedLeaderEpoch, $"{topicPartition}: leader epoch {leaderEpoch} is stale; the current one is {partition.LeaderEpoch}.");
        }

        if (Array.IndexOf(partition.Replicas, logs.BrokerId) < 0 || partition.Leader == logs.BrokerId)
        {
            return ReplicateResponse.Failed(ErrorCode.NotLeaderOrFollower, $"Broker {logs.BrokerId} is not a follower of {topicPartition}.");
        }

        LocalPartition local = await logs.GetOrCreateAsync(topicPartition, topic.TopicId, topic.Configs);
        if (!local.TryFollow(leaderEpoch))
        {
            return ReplicateResponse.Failed(ErrorCode.FencedLeaderEpoch, $"{topicPartition}: broker {logs.BrokerId} has already seen a newer leader epoch than {leaderEpoch}.");
        }

        _local = local;
        _leaderEpoch = leaderEpoch;
        IPartitionGrain leader = GrainFactory.GetGrain<IPartitionGrain>(topicPartition.ToString());
        try
        {
            long before = local.Log.LogEndOffset;
            long logEnd = await DivergentTail.TruncateAsync(local.Log, epoch => leader.OffsetForLeaderEpoch(leaderEpoch, epoch));
            if (logEnd < before)
            {
                LogTruncated(logger, topicPartition, logs.BrokerId, before, logEnd, leaderEpoch);
            }

            if (logEnd < leaderLogStartOffset)
            {
                // The leader no longer has the offsets from here to its start: copy its log from there.
                logEnd = await local.Log.ResetToAsync(leaderLogStartOffset);
                LogReset(logger, topicPartition, logs.BrokerId, logEnd);
            }

            LogFollowing(logger, topicPartition, logs.BrokerId, leaderBrokerId, leaderEpoch, logEnd);
            return new ReplicateResponse(ErrorCode.None, local.Log.AcknowledgeableOffset, null);
        }
        catch (OrleansStreamException error)
        {
            _leaderEpoch = -1;
            return ReplicateResponse.Failed(error.Code, error.Message);
        }
        catch (Exception error) when (error is LogException or ObjectDisposedException)
        {
            _leaderEpoch = -1;
            return Failure(error);
        }
    }

    public async Task<ReplicateResponse> Replicate(ReplicateRequest request)
    {
        try
        {
            LocalPartition? local = _local;
            if (local is null || request.LeaderEpoch != _leaderEpoch || !local.IsFollowing(request.LeaderEpoch))
            {
                // A newer leader needs a new session (truncation first); an older one is fenced off.
                return request.LeaderEpoch > _leaderEpoch || local is null
                    ? ReplicateResponse.Failed(ErrorCode.NotLeaderOrFollower, $"{_key}: no replication session for leader epoch {request.LeaderEpoch}.")
                    : ReplicateResponse.Failed(ErrorCode.FencedLeaderEpoch, $"{_key}: leader epoch {request.LeaderEpoch} is stale.");
            }

            PartitionLog log = local.Log;
            if (!request.Batches.IsEmpty)
            {
                ReadOnlySpan<byte> batches = request.Batches.Memory.Span;
                if (batches.Length < RecordBatchHeader.Size)
                {
                    return ReplicateResponse.Failed(ErrorCode.CorruptMessage, $"{_key}: {batches.Length} bytes are not a record batch.");
                }

                long first = RecordBatchHeader.Read(batches).BaseOffset;
                long logEnd = log.LogEndOffset;
                if (first != logEnd)
                {
                    return new ReplicateResponse(ErrorCode.OffsetOutOfRange, log.AcknowledgeableOffset, $"{_key}: batches start at {first}, the log ends at {logEnd}.");
                }

                await log.AppendReplicatedAsync(request.Batches.Memory);
            }

            log.AdvanceHighWatermark(request.HighWatermark);
            log.MarkTiered(request.TieredOffset);
            return new ReplicateResponse(ErrorCode.None, log.AcknowledgeableOffset, null);
        }
        catch (Exception error) when (error is LogException or ObjectDisposedException)
        {
            return Failure(error);
        }
        finally
        {
            request.Batches.Release();
        }
    }

    private ReplicateResponse Failure(Exception error) => error switch
    {
        ObjectDisposedException => ReplicateResponse.Failed(ErrorCode.UnknownTopicOrPartition, $"{_key}: the partition was deleted."),
        LogException log => ReplicateResponse.Failed((ErrorCode)log.KafkaErrorCode, $"{_key}: {log.Message}"),
        _ => throw error,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition} on broker {BrokerId} follows broker {Leader} in leader epoch {Epoch} from offset {LogEndOffset}")]
    private static partial void LogFollowing(ILogger logger, TopicPartition partition, int brokerId, int leader, int epoch, long logEndOffset);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partition} on broker {BrokerId}: started the log afresh at the leader's log start {Offset}")]
    private static partial void LogReset(ILogger logger, TopicPartition partition, int brokerId, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Partition} on broker {BrokerId}: truncated a divergent tail from {From} to {To} before following leader epoch {Epoch}")]
    private static partial void LogTruncated(ILogger logger, TopicPartition partition, int brokerId, long from, long to, int epoch);
}
