using System.Collections.Concurrent;
using System.Text;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>
/// The consumers of one group in a test, each consuming in its own loop, and a ledger kept from their rebalance
/// callbacks of which member owns which partition: a partition assigned while another member still owns it is a
/// violation. Every record a member processes is recorded with the member's name.
/// </summary>
internal sealed class GroupMembers(OrleansStreamClient client, ConsumerOptions options, string topic) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (Consumer Consumer, CancellationTokenSource Stop, Task Loop)> _members = new();

    public ConcurrentDictionary<TopicPartition, string> Owners { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentQueue<(string Member, TopicPartition Partition, long Offset, string Value)> Processed { get; } = new();

    /// <summary>Each member's assignments and revocations, in order.</summary>
    public ConcurrentQueue<(string Member, string Event, TopicPartition[] Partitions)> Events { get; } = new();

    /// <summary>Processing time per record, so that rebalances find members in the middle of their work.</summary>
    public TimeSpan ProcessingDelay { get; init; }

    public async Task StartAsync(string name)
    {
        Consumer consumer = client.CreateConsumer(options with { ClientId = name });
        consumer.PartitionsAssigned += partitions =>
        {
            Events.Enqueue((name, "assigned", [.. partitions]));
            foreach (TopicPartition partition in partitions)
            {
                if (!Owners.TryAdd(partition, name))
                {
                    Violations.Enqueue($"{partition} assigned to {name} while {Owners.GetValueOrDefault(partition)} owns it");
                }
            }
        };
        consumer.PartitionsRevoked += partitions => Release(name, "revoked", partitions);
        consumer.PartitionsLost += partitions => Release(name, "lost", partitions);
        await consumer.SubscribeAsync([topic]);
        var stop = new CancellationTokenSource();
        _members[name] = (consumer, stop, Task.Run(() => ConsumeAsync(name, consumer, stop.Token)));
    }

    /// <summary>A graceful close: the member commits what it processed and leaves the group.</summary>
    public async Task StopAsync(string name)
    {
        (Consumer consumer, CancellationTokenSource stop, Task loop) = _members[name];
        _members.TryRemove(name, out _);
        await stop.CancelAsync();
        await loop;
        await consumer.DisposeAsync();
        stop.Dispose();
    }

    /// <summary>A crash: the member stops dead, without a commit or a goodbye; a dead process owns nothing any more.</summary>
    public async Task KillAsync(string name)
    {
        (Consumer consumer, CancellationTokenSource stop, Task loop) = _members[name];
        _members.TryRemove(name, out _);
        consumer.AbandonGroup();
        await stop.CancelAsync();
        await loop;
        foreach ((TopicPartition partition, string owner) in Owners)
        {
            if (owner == name)
            {
                Owners.TryRemove(partition, out _);
            }
        }

        await consumer.DisposeAsync();
        stop.Dispose();
    }

    /// <summary>Starts these members and waits until the partitions are shared by exactly the members running now.</summary>
    public async Task StartAndSettleAsync(int partitions, params string[] names)
    {
        await Task.WhenAll(names.Select(StartAsync));
        await SettledAsync(partitions);
    }

    /// <summary>Waits until every one of <paramref name="partitions"/> partitions is owned, by exactly the members running now.</summary>
    public Task SettledAsync(int partitions) =>
        Eventually.TrueAsync(() => Task.FromResult(IsSettled(partitions, [.. _members.Keys])), TimeSpan.FromSeconds(30), Describe);

    /// <summary>Waits until every one of <paramref name="values"/> has been processed by some member.</summary>
    public Task AllProcessedAsync(IReadOnlySet<string> values, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => Task.FromResult(Processed.Select(p => p.Value).ToHashSet().IsSupersetOf(values)), timeout ?? TimeSpan.FromSeconds(30),
            () => $"{values.Except(Processed.Select(p => p.Value)).Count()} of {values.Count} records never processed; {Describe()}");

    /// <summary>True once every one of <paramref name="partitions"/> partitions has an owner, and the owners are exactly <paramref name="members"/>.</summary>
    public bool IsSettled(int partitions, params string[] members) =>
        Owners.Count == partitions && Owners.Values.Distinct().Order().SequenceEqual(members.Order());

    public string Describe() =>
        $"owners: [{string.Join(", ", Owners.OrderBy(o => o.Key.Partition).Select(o => $"{o.Key.Partition}:{o.Value}"))}], processed {Processed.Count}, violations: {string.Join("; ", Violations)}";

    public async ValueTask DisposeAsync()
    {
        foreach (string name in _members.Keys.ToArray())
        {
            await StopAsync(name);
        }
    }

    private void Release(string name, string how, IReadOnlyCollection<TopicPartition> partitions)
    {
        Events.Enqueue((name, how, [.. partitions]));
        foreach (TopicPartition partition in partitions)
        {
            if (!Owners.TryRemove(new KeyValuePair<TopicPartition, string>(partition, name)))
            {
                Violations.Enqueue($"{partition} {how} from {name}, which did not own it");
            }
        }
    }

    private async Task ConsumeAsync(string name, Consumer consumer, CancellationToken stop)
    {
        try
        {
            await foreach (ConsumeResult record in consumer.ConsumeAsync(stop))
            {
                if (stop.IsCancellationRequested)
                {
                    break; // not processed, so not committed: the next owner gets it
                }

                Processed.Enqueue((name, new TopicPartition(record.Topic, record.Partition), record.Offset, Encoding.UTF8.GetString(record.Value!.Value.Span)));
                if (ProcessingDelay > TimeSpan.Zero)
                {
                    await Task.Delay(ProcessingDelay, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
