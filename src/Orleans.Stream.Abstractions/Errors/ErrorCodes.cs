namespace Orleans.Stream;

/// <summary>What an <see cref="ErrorCode"/> means to a caller deciding whether to try again.</summary>
public static class ErrorCodes
{
    /// <summary>
    /// True for failures that another attempt can cure: a leader that moved or is starting, a broker that is down,
    /// a timeout, a log taken offline by a disk error on one broker.
    /// </summary>
    public static bool IsRetriable(this ErrorCode code) => code is
        ErrorCode.LeaderNotAvailable or
        ErrorCode.NotLeaderOrFollower or
        ErrorCode.RequestTimedOut or
        ErrorCode.NotEnoughReplicas or
        ErrorCode.NotEnoughReplicasAfterAppend or
        ErrorCode.FencedLeaderEpoch or
        ErrorCode.KafkaStorageError;
}
