namespace Orleans.Stream.Storage;

/// <summary>How far a read may go.</summary>
public enum ReadBound
{
    /// <summary>Up to the high watermark: what consumers may see.</summary>
    HighWatermark,

    /// <summary>Up to the log end: what a follower replicates.</summary>
    LogEnd,
}
