using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Partitions;

/// <summary>
/// The leader of one partition (key <c>topic/partition</c>), placed on its leader broker's silo by
/// <see cref="BrokerPlacement"/>. It serves produce, fetch and offset queries from that broker's local log.
/// Reentrant: the log itself takes one appender and many readers, so a long-poll fetch never holds up appends.
/// </summary>
[GrainType(GrainTypeString), BrokerPlacement, Reentrant]
internal sealed partial class PartitionGrain(
    LogManager logs,
    IOptions<BrokerOptions> options,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    public const string GrainTypeString = "ostream-partition";
    public static readonly GrainType GrainTypeName = GrainType.Create(GrainTypeString);

    private TopicPartition _topicPartition;
    private LocalPartition _local = null!;
    private int _leaderEpoch;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _topicPartition = TopicPartition.Parse(this.GetPrimaryKeyString());
        TopicDescription? topic = await GrainFactory.GetGrain<IControllerGrain>(0).DescribeTopic(_topicPartition.Topic);
        if (topic is null || _topicPartition.Partition < 0 || _topicPartition.Partition >= topic.Partitions.Length)
        {
            throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} does not exist.");
        }

        PartitionDescription partition = topic.Partitions[_topicPartition.Partition];
        if (partition.Leader != logs.BrokerId)
        {
            // Placement put us on the wrong broker (the leader moved in between): refuse rather than open a log here.
            throw new OrleansStreamException(
                ErrorCode.NotLeaderOrFollower,
                $"Broker {logs.BrokerId} is not the leader of {_topicPartition} (broker {partition.Leader} is).");
        }

        _leaderEpoch = partition.LeaderEpoch;
        _local = await logs.GetOrCreateAsync(_topicPartition, topic.TopicId, topic.Configs);
        LogActivated(logger, _topicPartition, logs.BrokerId, _local.Log.LogEndOffset);
    }

    public async Task<ProduceResponse> Produce(ProduceRequest request)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            return await AppendAsync(request);
        }
        finally
        {
            request.Batches.Release();
            BrokerMetrics.ProduceDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task<ProduceResponse> AppendAsync(ProduceRequest request)
    {
        if (Unavailable() is { } error)
        {
            return ProduceResponse.Failed(error.Code, error.Message);
        }

        try
        {
            AppendResult appended = await _local.Log.AppendAsync(request.Batches.Memory, _leaderEpoch);
            return new ProduceResponse(ErrorCode.None, appended.FirstOffset, appended.LastOffset, appended.LogStartOffset, null);
        }
        catch (LogException failure)
        {
            return ProduceResponse.Failed((ErrorCode)failure.KafkaErrorCode, $"{_topicPartition}: {failure.Message}");
        }
        catch (ObjectDisposedException)
        {
            return ProduceResponse.Failed(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} was deleted.");
        }
    }

    public async Task ProduceNoAck(ProduceRequest request) => await Produce(request);

    public async Task<FetchResponse> Fetch(FetchRequest request)
    {
        if (Unavailable() is { } error)
        {
            return FetchResponse.Failed(error.Code, error.Message);
        }

        PartitionLog log = _local.Log;
        try
        {
            if (request.MaxWaitMs > 0 && request.Offset >= log.HighWatermark && request.Offset <= log.LogEndOffset)
            {
                await WaitForDataAsync(log, request);
            }

            // The read's pooled buffer travels with the response and goes back to the pool once serialized.
            LogReadResult read = log.Read(request.Offset, Math.Max(1, request.MaxBytes));
            return new FetchResponse(ErrorCode.None, BatchPayload.Lease(read.Batches, read), read.HighWatermark, read.LogStartOffset, read.LogEndOffset, null);
        }
        catch (LogException failure)
        {
            return FetchResponse.Failed((ErrorCode)failure.KafkaErrorCode, $"{_topicPartition}: {failure.Message}", log.LogStartOffset, log.HighWatermark);
        }
        catch (ObjectDisposedException)
        {
            return FetchResponse.Failed(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} was deleted.");
        }
    }

    private async Task WaitForDataAsync(PartitionLog log, FetchRequest request)
    {
        TimeSpan wait = TimeSpan.FromMilliseconds(request.MaxWaitMs);
        if (wait > options.Value.MaxFetchWait)
        {
            wait = options.Value.MaxFetchWait;
        }

        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await log.WaitForHighWatermarkAsync(request.Offset, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Nothing new within maxWait: answer with an empty fetch, as Kafka does.
        }
    }

    public Task<ListOffsetsResponse> ListOffsets(long timestamp)
    {
        if (Unavailable() is { } error)
        {
            return Task.FromResult(new ListOffsetsResponse(error.Code, -1, -1, error.Message));
        }

        PartitionLog log = _local.Log;
        ListOffsetsResponse response = timestamp switch
        {
            OffsetSpec.Latest => new ListOffsetsResponse(ErrorCode.None, log.HighWatermark, -1, null),
            OffsetSpec.Earliest => new ListOffsetsResponse(ErrorCode.None, log.LogStartOffset, -1, null),
            < 0 => new ListOffsetsResponse(ErrorCode.InvalidRequest, -1, -1, $"Timestamp {timestamp} is neither a time nor -1 (latest) or -2 (earliest)."),
            _ => log.FindOffsetByTimestamp(timestamp) is { } found
                ? new ListOffsetsResponse(ErrorCode.None, found.Offset, found.Timestamp, null)
                : new ListOffsetsResponse(ErrorCode.None, -1, -1, null),
        };
        return Task.FromResult(response);
    }

    public Task<PartitionState> Describe() =>
        Unavailable() is { } error
            ? Task.FromException<PartitionState>(error)
            : Task.FromResult(_local.Describe(logs.BrokerId));

    /// <summary>Null while this activation can serve; once the topic is gone, the error to answer with (and the grain leaves).</summary>
    private OrleansStreamException? Unavailable()
    {
        if (!_local.IsDeleted)
        {
            return null;
        }

        DeactivateOnIdle();
        return new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Partition {_topicPartition} was deleted.");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Partition {Partition} active on broker {BrokerId}, log end offset {LogEndOffset}")]
    private static partial void LogActivated(ILogger logger, TopicPartition partition, int brokerId, long logEndOffset);
}
