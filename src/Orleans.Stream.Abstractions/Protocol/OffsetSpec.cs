namespace Orleans.Stream;

/// <summary>Kafka's ListOffsets special timestamps: anything else is a timestamp in ms since the epoch.</summary>
public static class OffsetSpec
{
    /// <summary>The log end offset (the high watermark: the next offset a consumer can see).</summary>
    public const long Latest = -1;

    /// <summary>The log start offset.</summary>
    public const long Earliest = -2;
}
