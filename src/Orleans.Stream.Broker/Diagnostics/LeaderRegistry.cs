using System.Collections.Concurrent;

namespace Orleans.Stream.Broker.Diagnostics;

/// <summary>
/// The partitions this broker leads now, each with its <see cref="LeaderStatus"/>: partition grains add themselves
/// when they start leading and leave when they stop. One per silo; the broker meters read every silo's registry
/// (several silos share a process in tests), each measurement tagged with its broker id.
/// </summary>
internal sealed class LeaderRegistry
{
    private static readonly ConcurrentDictionary<LeaderRegistry, byte> Live = new();
    private readonly ConcurrentDictionary<TopicPartition, LeaderStatus> _leaders = new();

    public LeaderRegistry(int brokerId)
    {
        BrokerId = brokerId;
        Live.TryAdd(this, 0);
    }

    public int BrokerId { get; }

    /// <summary>Every silo's registry in this process.</summary>
    public static ICollection<LeaderRegistry> All => Live.Keys;

    public ICollection<LeaderStatus> Leaders => _leaders.Values;

    public LeaderStatus Lead(TopicPartition partition) => _leaders[partition] = new LeaderStatus(partition);

    /// <summary>Removes <paramref name="status"/> unless a newer activation of the same partition has replaced it.</summary>
    public void Leave(LeaderStatus status) => _leaders.TryRemove(new KeyValuePair<TopicPartition, LeaderStatus>(status.Partition, status));

    /// <summary>At silo stop: its measurements end with it.</summary>
    public void Close() => Live.TryRemove(this, out _);
}
