using Orleans.Stream.Kafka.Server;
using Wire = Orleans.Stream.Kafka.Protocol.Messages;

namespace Orleans.Stream.Kafka.Handlers;

/// <summary>
/// Fetch: whole batches from each partition's log on this broker, as stored. Every partition is read at once; if
/// together they hold fewer than MinBytes, the empty ones long-poll their logs and the answer goes out as soon as
/// one of them has data or MaxWaitMs is up (Kafka's delayed fetch). Fetch sessions (KIP-227) are declined with
/// session id 0, which every client takes as "send full fetches". The read buffers travel to the socket as they are
/// and return to the pool once written (<see cref="KafkaAnswer.AfterWrite"/>).
/// </summary>
internal static class FetchHandler
{
    public static async ValueTask<KafkaAnswer> HandleAsync(BrokerContext broker, Wire.FetchRequest request)
    {
        ClusterView.Snapshot cluster = await broker.ViewForAsync(request.Topics, static t => t.Name, static t => t.Partitions, static p => p.Index).ConfigureAwait(false);
        var response = new Wire.FetchResponse();
        var reads = new List<PartitionRead>();
        foreach (Wire.FetchRequest.Topic topic in request.Topics)
        {
            var topicAnswer = new Wire.FetchResponse.Topic { Name = topic.Name, TopicId = topic.TopicId };
            response.Responses.Add(topicAnswer);
            foreach (Wire.FetchRequest.Partition partition in topic.Partitions)
            {
                var answer = new Wire.FetchResponse.Partition { PartitionIndex = partition.Index };
                topicAnswer.Partitions.Add(answer);
                if (broker.NotServedHere(cluster, topic.Name, partition.Index) is { } notHere)
                {
                    answer.ErrorCode = (short)notHere;
                }
                else
                {
                    reads.Add(new PartitionRead(answer, broker.Partition(topic.Name, partition.Index), partition.FetchOffset, Math.Max(1, partition.PartitionMaxBytes)));
                }
            }
        }

        await ReadAllAsync(broker, reads, waitMs: 0).ConfigureAwait(false);
        if (request.MaxWaitMs > 0 && TotalBytes(reads) < Math.Max(1, request.MinBytes))
        {
            await WaitForAnyAsync(broker, reads, request.MaxWaitMs).ConfigureAwait(false);
        }

        // Kafka's response limit: the first partition with data is always whole; later ones only while under MaxBytes.
        long budget = request.MaxBytes <= 0 ? int.MaxValue : request.MaxBytes;
        bool anyRecords = false;
        var leases = new List<BatchPayload>(reads.Count);
        foreach (PartitionRead read in reads)
        {
            if (read.Result is not { } result)
            {
                continue;
            }

            read.Answer.ErrorCode = (short)result.Error;
            read.Answer.HighWatermark = result.HighWatermark;
            read.Answer.LastStableOffset = result.HighWatermark; // no transactions: everything committed is stable
            read.Answer.LogStartOffset = result.LogStartOffset;
            if (result.Error == ErrorCode.None && !result.Batches.IsEmpty && (!anyRecords || budget > 0))
            {
                read.Answer.Records = result.Batches.Memory;
                budget -= result.Batches.Length;
                anyRecords = true;
            }

            leases.Add(result.Batches);
        }

        long size = 256;
        foreach (PartitionRead read in reads)
        {
            size += 64 + (read.Answer.Records?.Length ?? 0); // records plus a partition's fixed fields
        }

        return new KafkaAnswer(response, () =>
        {
            foreach (BatchPayload lease in leases)
            {
                lease.Release();
            }
        }, (int)Math.Min(size, int.MaxValue));
    }

    private static long TotalBytes(List<PartitionRead> reads)
    {
        long total = 0;
        foreach (PartitionRead read in reads)
        {
            total += read.Result?.Batches.Length ?? 0;
        }

        return total;
    }

    private static async Task ReadAllAsync(BrokerContext broker, List<PartitionRead> reads, int waitMs)
    {
        var calls = new Task<FetchResponse>[reads.Count];
        for (int i = 0; i < reads.Count; i++)
        {
            calls[i] = reads[i].Grain.Fetch(new FetchRequest(reads[i].Offset, reads[i].MaxBytes, waitMs));
        }

        for (int i = 0; i < reads.Count; i++)
        {
            reads[i].Result = await Complete(broker, calls[i]).ConfigureAwait(false);
        }
    }

    /// <summary>The partitions that came back empty long-poll; the first answer (or the deadline) ends the wait.</summary>
    private static async Task WaitForAnyAsync(BrokerContext broker, List<PartitionRead> reads, int maxWaitMs)
    {
        var waiting = new List<(PartitionRead Read, Task<FetchResponse> Poll)>();
        foreach (PartitionRead read in reads)
        {
            if (read.Result is { Error: ErrorCode.None, Batches.IsEmpty: true })
            {
                waiting.Add((read, read.Grain.Fetch(new FetchRequest(read.Offset, read.MaxBytes, maxWaitMs))));
            }
        }

        if (waiting.Count == 0)
        {
            return;
        }

        var polls = new Task[waiting.Count];
        for (int i = 0; i < waiting.Count; i++)
        {
            polls[i] = waiting[i].Poll;
        }

        await Task.WhenAny(Task.WhenAny(polls), Task.Delay(maxWaitMs)).ConfigureAwait(false);
        foreach ((PartitionRead read, Task<FetchResponse> poll) in waiting)
        {
            if (poll.IsCompleted)
            {
                read.Result = await Complete(broker, poll).ConfigureAwait(false);
            }
            else
            {
                // Still waiting on the log: its answer (and buffer) is not needed any more.
                _ = poll.ContinueWith(static done =>
                {
                    if (done.IsCompletedSuccessfully)
                    {
                        done.Result.Batches.Release();
                    }
                }, TaskScheduler.Default); // the first, empty read's answer (its high watermark) stands
            }
        }
    }

    private static async Task<FetchResponse> Complete(BrokerContext broker, Task<FetchResponse> call)
    {
        try
        {
            FetchResponse result = await call.ConfigureAwait(false);
            if (result.Error is ErrorCode.NotLeaderOrFollower or ErrorCode.UnknownTopicOrPartition)
            {
                broker.Cluster.Invalidate();
            }

            return result;
        }
        catch (Exception error)
        {
            return FetchResponse.Failed(broker.Failure(error), error.Message);
        }
    }

    private sealed class PartitionRead(Wire.FetchResponse.Partition answer, IPartitionGrain grain, long offset, int maxBytes)
    {
        public Wire.FetchResponse.Partition Answer { get; } = answer;

        public IPartitionGrain Grain { get; } = grain;

        public long Offset { get; } = offset;

        public int MaxBytes { get; } = maxBytes;

        public FetchResponse? Result { get; set; }
    }
}
