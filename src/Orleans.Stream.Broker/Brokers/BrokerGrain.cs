using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;

namespace Orleans.Stream.Broker.Brokers;

/// <summary>
/// The controller's handle on one broker's local logs (key = broker id), placed on that broker's silo.
/// If it activates anywhere else it refuses to serve.
/// </summary>
[GrainType(GrainTypeString), BrokerPlacement, Reentrant]
internal sealed class BrokerGrain(LogManager logs) : Grain, IBrokerGrain
{
    public const string GrainTypeString = "ostream-broker";
    public static readonly GrainType GrainTypeName = GrainType.Create(GrainTypeString);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        long key = this.GetPrimaryKeyLong();
        return key == logs.BrokerId
            ? Task.CompletedTask
            : throw new OrleansStreamException(ErrorCode.LeaderNotAvailable, $"Broker grain {key} activated on broker {logs.BrokerId}; refusing to serve.");
    }

    public async Task DeleteTopicData(string topic, Guid topicId) => await logs.DeleteTopicAsync(topic, topicId);

    public async Task DeletePartitionData(TopicPartition partition, Guid topicId) => await logs.DeletePartitionAsync(partition, topicId);

    public Task<PartitionState[]> DescribeLogs() => Task.FromResult(logs.Describe());
}
