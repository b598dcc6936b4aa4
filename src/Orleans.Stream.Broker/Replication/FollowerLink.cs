using Microsoft.Extensions.Logging;
using Orleans.Stream.Storage;

namespace Orleans.Stream.Broker.Replication;

/// <summary>
/// The leader's replication to one follower: a loop, run in the partition grain's context, that opens a session
/// (the follower cuts its divergent tail and says where its log ends), then streams the leader's log from there,
/// with up to <see cref="BrokerOptions.ReplicationMaxInFlight"/> requests in flight. Every answer moves the follower's
/// acknowledged offset, which the leader's high watermark and ISR decisions read. Any failure ends the session; the
/// next one starts from whatever the follower then has, after a back-off while the follower is unreachable.
/// </summary>
internal sealed partial class FollowerLink
{
    private readonly IReplicaGrain _replica;
    private readonly PartitionLog _log;
    private readonly int _leaderBroker;
    private readonly int _leaderEpoch;
    private readonly BrokerOptions _options;
    private readonly IFollowerLinkOwner _owner;
    private readonly ILogger _logger;
    private readonly Queue<InFlight> _inFlight;

    public FollowerLink(int brokerId, IReplicaGrain replica, PartitionLog log, int leaderBroker, int leaderEpoch, BrokerOptions options, IFollowerLinkOwner owner, ILogger logger)
    {
        BrokerId = brokerId;
        _replica = replica;
        _log = log;
        _leaderBroker = leaderBroker;
        _leaderEpoch = leaderEpoch;
        _options = options;
        _owner = owner;
        _logger = logger;
        _inFlight = new Queue<InFlight>(options.ReplicationMaxInFlight);
        LastCaughtUpAt = Environment.TickCount64; // a follower gets the full lag time to show up (as Kafka's at election)
    }

    public int BrokerId { get; }

    /// <summary>Offsets below this are on the follower (fsynced there under group-commit); -1 until it first answers.</summary>
    public long LogEndOffset { get; private set; } = -1;

    /// <summary><see cref="Environment.TickCount64"/> when the follower last had everything the leader had.</summary>
    public long LastCaughtUpAt { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        int failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await RunSessionAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                failures++;
                if (failures == 1 || failures % 50 == 0)
                {
                    LogSessionFailed(_logger, _log.Directory, BrokerId, failures, error.Message);
                }

                if (error is OrleansStreamException { Code: ErrorCode.FencedLeaderEpoch })
                {
                    _owner.OnFenced();
                }

                // Back off while the follower is unreachable: 50 ms, doubling, at most 2 s.
                var delay = TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(failures, 6)));
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            failures = 0;
        }
    }

    private async Task RunSessionAsync(CancellationToken stop)
    {
        ReplicateResponse start = await _replica.StartFollowing(_leaderBroker, _leaderEpoch, _log.LogStartOffset);
        ThrowIfFailed(start);
        Acknowledged(start.LogEndOffset, caughtUpIfAt: -1, sentAt: 0);
        long next = start.LogEndOffset; // should retention move the start past it meanwhile, the read fails and a new session starts

        try
        {
            while (true)
            {
                stop.ThrowIfCancellationRequested();
                while (_inFlight.Count < _options.ReplicationMaxInFlight && next < _log.LogEndOffset)
                {
                    long leaderEnd = _log.LogEndOffset;
                    LogReadResult read = _log.Read(next, _options.ReplicationMaxBytes, ReadBound.LogEnd);
                    if (read.IsEmpty)
                    {
                        read.Dispose();
                        break;
                    }

                    next = read.NextOffset;
                    Send(BatchPayload.Lease(read.Batches, read), next >= leaderEnd ? leaderEnd : -1);
                }

                if (_inFlight.Count == 0)
                {
                    // Caught up: wait for the next append, or send a heartbeat (the high watermark, and proof of life).
                    if (!await WaitForAppendAsync(next, stop))
                    {
                        Send(default, _log.LogEndOffset == next ? next : -1);
                    }

                    continue;
                }

                InFlight head = _inFlight.Dequeue();
                ReplicateResponse response = await head.Response;
                ThrowIfFailed(response);
                Acknowledged(response.LogEndOffset, head.CaughtUpIfAt, head.SentAt);
            }
        }
        finally
        {
            // Let the rest of the session's requests finish (or fail) before another session starts behind them.
            while (_inFlight.TryDequeue(out InFlight pending))
            {
                try
                {
                    await pending.Response;
                }
                catch (Exception)
                {
                    // The session is over either way.
                }
            }
        }
    }

    private void Send(BatchPayload batches, long caughtUpIfAt) =>
        _inFlight.Enqueue(new InFlight(
            _replica.Replicate(new ReplicateRequest(_leaderEpoch, batches, _log.HighWatermark, _log.TieredOffset)),
            caughtUpIfAt,
            Environment.TickCount64));

    private async Task<bool> WaitForAppendAsync(long offset, CancellationToken stop)
    {
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stop);
        heartbeat.CancelAfter(_options.ReplicationHeartbeatInterval);
        try
        {
            await _log.WaitForLogEndAsync(offset, heartbeat.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <param name="logEndOffset">What the follower now holds.</param>
    /// <param name="caughtUpIfAt">The leader's log end when the request was sent, if the request carried everything up to it; else -1.</param>
    /// <param name="sentAt">When that request was sent.</param>
    private void Acknowledged(long logEndOffset, long caughtUpIfAt, long sentAt)
    {
        LogEndOffset = logEndOffset;
        if (caughtUpIfAt >= 0 && logEndOffset >= caughtUpIfAt)
        {
            LastCaughtUpAt = Math.Max(LastCaughtUpAt, sentAt);
        }

        _owner.OnFollowerProgress(this);
    }

    private void ThrowIfFailed(ReplicateResponse response)
    {
        if (response.Error != ErrorCode.None)
        {
            throw new OrleansStreamException(response.Error, response.ErrorMessage ?? $"Follower {BrokerId} answered {response.Error}.");
        }
    }

    private readonly record struct InFlight(Task<ReplicateResponse> Response, long CaughtUpIfAt, long SentAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replication of {Log} to broker {Follower} failed ({Failures} in a row): {Reason}")]
    private static partial void LogSessionFailed(ILogger logger, string log, int follower, int failures, string reason);
}

/// <summary>What a <see cref="FollowerLink"/> reports to the leader it belongs to.</summary>
internal interface IFollowerLinkOwner
{
    /// <summary>The follower acknowledged more (or answered a heartbeat): recompute the high watermark, maybe grow the ISR.</summary>
    void OnFollowerProgress(FollowerLink link);

    /// <summary>The follower has seen a newer leader epoch: this leader has probably been replaced.</summary>
    void OnFenced();
}
