using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.Stream.Broker.Partitions;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Broker.Tests.Support;
using Orleans.Stream.Client;

namespace Orleans.Stream.Broker.Tests.Cluster;

/// <summary>
/// A partition grain activated on a broker that does not lead its partition (a caller's stale directory cache can
/// make a silo activate it locally) opens no log there and moves itself to the leader's silo; the call that found it
/// misplaced is retried by the client and succeeds.
/// </summary>
public sealed class MisplacedActivationTests
{
    [Fact]
    public async Task A_partition_grain_activated_off_its_leader_moves_to_the_leader_and_serves_there()
    {
        using var data = new TempDirectory();
        await using BrokerCluster brokers = await BrokerCluster.StartAsync(data.Path, configureSilo: silo =>
            silo.Services.AddKeyedSingleton<IPlacementDirector, WrongOnceDirector>(typeof(BrokerPlacement)));
        OrleansStreamClient client = brokers.Client;
        TopicDescription topic = await client.Admin.CreateTopicAsync("misplaced", partitions: 1);
        int leader = topic.Partitions[0].Leader;
        WrongOnceDirector.Wrong = brokers.BrokerIds.First(b => b != leader);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (Producer producer = client.CreateProducer())
        {
            DeliveryResult sent = await producer.ProduceAsync("misplaced", null, Encoding.UTF8.GetBytes("here"));
            Assert.Equal(0, sent.Offset);
        }

        // Moving is quick; an activation that failed instead stayed a dead end for its callers (this took 2 minutes, until delivery.timeout.ms).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The produce took {clock.Elapsed}.");

        Assert.True(WrongOnceDirector.Misplaced, "the first activation was meant to land on the wrong broker");
        // The management statistics may list the misplaced activation a moment longer while it finishes moving.
        await Eventually.TrueAsync(async () => await brokers.BrokerHostingAsync(GrainId.Create(PartitionGrain.GrainTypeString, "misplaced/0")) == leader,
            TimeSpan.FromSeconds(10), () => "the partition grain is not (only) on its leader's silo");
        Assert.Null(brokers.LogsOf(WrongOnceDirector.Wrong).Find(new TopicPartition("misplaced", 0))); // no log was opened there
        Assert.Equal(1, (await client.Admin.DescribePartitionAsync(new TopicPartition("misplaced", 0))).HighWatermark);
    }

    /// <summary>Places the first partition grain activation on <see cref="Wrong"/>, then defers to the real director.</summary>
    private sealed class WrongOnceDirector(BrokerDirectory directory, IGrainFactory grains) : IPlacementDirector
    {
        private static int s_used;

        public static int Wrong = -1;

        public static bool Misplaced => Volatile.Read(ref s_used) == 1;

        private readonly BrokerPlacementDirector _real = new(directory, grains);

        public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
            target.GrainIdentity.Type == PartitionGrain.GrainTypeName && Wrong >= 0 && Interlocked.CompareExchange(ref s_used, 1, 0) == 0
                ? Task.FromResult(directory.FindSilo(Wrong)!)
                : _real.OnAddActivation(strategy, target, context);
    }
}
