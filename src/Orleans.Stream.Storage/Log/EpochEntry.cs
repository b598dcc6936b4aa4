namespace Orleans.Stream.Storage.Log;

/// <summary>
/// Leader epoch <see cref="Epoch"/>'s first offset in a log (an entry of the <see cref="LeaderEpochCache"/>), or in a
/// segment copied to the remote tier.
/// </summary>
public readonly record struct EpochEntry(int Epoch, long StartOffset);
