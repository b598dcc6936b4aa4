namespace Orleans.Stream.Storage;

/// <summary>Where an append landed: the offsets given to its records, and the log's start offset at that moment.</summary>
public readonly record struct AppendResult(long FirstOffset, long LastOffset, long LogStartOffset);
