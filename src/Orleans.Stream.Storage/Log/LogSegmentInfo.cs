namespace Orleans.Stream.Storage;

/// <summary>A segment as operators and tests see it.</summary>
public readonly record struct LogSegmentInfo(long BaseOffset, long NextOffset, long SizeInBytes, long MaxTimestamp, bool IsSealed);
