namespace Orleans.Stream.Storage;

/// <summary>The answer to "first record with timestamp ≥ T": its offset and timestamp.</summary>
public readonly record struct TimestampOffset(long Timestamp, long Offset);
