namespace Orleans.Stream.Storage.Log;

/// <summary>One entry of the <see cref="LeaderEpochCache"/>: leader epoch <see cref="Epoch"/>'s first offset in this log.</summary>
internal readonly record struct EpochEntry(int Epoch, long StartOffset);
