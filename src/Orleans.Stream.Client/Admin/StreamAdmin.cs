using Orleans.Stream.Client.Groups;
using Orleans.Stream.Client.Internal;

namespace Orleans.Stream.Client;

/// <summary>Topics, consumer groups and the cluster: create, list, describe, delete, offset and lag queries.</summary>
public sealed class StreamAdmin
{
    private readonly IGrainFactory _grains;

    internal StreamAdmin(IGrainFactory grains) => _grains = grains;

    private IControllerGrain Controller => _grains.GetGrain<IControllerGrain>(0);

    /// <summary>Creates a topic; throws <see cref="OrleansStreamException"/> (InvalidTopic, TopicAlreadyExists, InvalidPartitions, InvalidReplicationFactor, InvalidConfig).</summary>
    public Task<TopicDescription> CreateTopicAsync(string name, int partitions, short replicationFactor = 1, IReadOnlyDictionary<string, string>? configs = null)
    {
        TopicName.EnsureValid(name);
        return Controller.CreateTopic(new CreateTopicRequest(name, partitions, replicationFactor, configs is null ? [] : new Dictionary<string, string>(configs)));
    }

    /// <summary>Grows a topic to <paramref name="totalPartitions"/> partitions (see <see cref="IControllerGrain.CreatePartitions"/>).</summary>
    public Task<TopicDescription> CreatePartitionsAsync(string name, int totalPartitions)
    {
        TopicName.EnsureValid(name);
        return Controller.CreatePartitions(name, totalPartitions);
    }

    public async Task DeleteTopicAsync(string name)
    {
        TopicName.EnsureValid(name);
        await Controller.DeleteTopic(name).ConfigureAwait(false);
    }

    public Task<string[]> ListTopicsAsync() => Controller.ListTopics();

    /// <summary>The topic; throws UnknownTopicOrPartition if there is none.</summary>
    public async Task<TopicDescription> DescribeTopicAsync(string name)
    {
        TopicName.EnsureValid(name);
        return await Controller.DescribeTopic(name).ConfigureAwait(false)
            ?? throw new OrleansStreamException(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
    }

    public Task<ClusterDescription> DescribeClusterAsync() => Controller.DescribeCluster();

    /// <summary>
    /// Moves a partition's replicas to <paramref name="replicas"/> (preferred leader first). Returns at once with the
    /// reassignment started (<see cref="PartitionDescription.TargetReplicas"/> set) or, if nothing had to be copied, done.
    /// </summary>
    public Task<PartitionDescription> ReassignPartitionAsync(TopicPartition partition, int[] replicas) => Controller.ReassignPartition(partition, replicas);

    /// <summary>The replica moves that would even out the live brokers, e.g. after adding one (see <see cref="RebalancePlanner"/>); nothing is moved.</summary>
    public async Task<IReadOnlyList<PartitionMove>> PlanRebalanceAsync() => RebalancePlanner.Plan(await DescribeClusterAsync().ConfigureAwait(false));

    /// <summary>The ids of the cluster's consumer groups, sorted.</summary>
    public Task<string[]> ListGroupsAsync() => _grains.GetGrain<IGroupDirectoryGrain>(0).List();

    /// <summary>
    /// A consumer group: state, generation, members with their partitions, and per partition the committed offset,
    /// the end offset and the lag. Throws GroupIdNotFound for a group the cluster has never seen.
    /// </summary>
    public async Task<ConsumerGroupDescription> DescribeGroupAsync(string groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        string[] known = await ListGroupsAsync().ConfigureAwait(false);
        if (Array.IndexOf(known, groupId) < 0)
        {
            throw new OrleansStreamException(ErrorCode.GroupIdNotFound, $"Consumer group '{groupId}' does not exist.");
        }

        GroupDescription group = await _grains.GetGrain<IGroupCoordinatorGrain>(groupId).Describe().ConfigureAwait(false);
        var owners = new Dictionary<TopicPartition, string>();
        var members = new List<ConsumerGroupMember>(group.Members.Length);
        foreach (GroupMemberDescription member in group.Members)
        {
            List<TopicPartition> assignment = group.ProtocolType == ConsumerProtocol.ProtocolType ? ConsumerProtocol.DecodeAssignment(member.Assignment) : [];
            members.Add(new ConsumerGroupMember(member.MemberId, member.ClientId, assignment));
            foreach (TopicPartition partition in assignment)
            {
                owners[partition] = member.MemberId;
            }
        }

        var committed = new Dictionary<TopicPartition, long>();
        foreach (CommittedOffset offset in group.Offsets)
        {
            committed[offset.TopicPartition] = offset.Offset;
        }

        var partitions = new SortedSet<TopicPartition>(Comparer<TopicPartition>.Create(static (a, b) =>
            a.Topic == b.Topic ? a.Partition.CompareTo(b.Partition) : string.CompareOrdinal(a.Topic, b.Topic)));
        partitions.UnionWith(owners.Keys);
        partitions.UnionWith(committed.Keys);
        var rows = new List<ConsumerGroupPartition>(partitions.Count);
        foreach (TopicPartition partition in partitions)
        {
            long offset = committed.GetValueOrDefault(partition, -1);
            long end = -1;
            try
            {
                end = await ListOffsetAsync(partition, OffsetSpec.Latest).ConfigureAwait(false);
            }
            catch (OrleansStreamException)
            {
                // A deleted topic or an offline partition: shown without an end offset.
            }

            long? lag = offset >= 0 && end >= 0 ? Math.Max(0, end - offset) : null;
            rows.Add(new ConsumerGroupPartition(partition, offset, end, lag, owners.GetValueOrDefault(partition, "")));
        }

        return new ConsumerGroupDescription(group.GroupId, group.State, group.GenerationId, group.Protocol, group.LeaderId, members, rows);
    }

    /// <summary>The log of one partition as its leader sees it: start and end offsets, high watermark, size.</summary>
    public async Task<PartitionState> DescribePartitionAsync(TopicPartition topicPartition)
    {
        try
        {
            return await _grains.GetGrain<IPartitionGrain>(topicPartition.ToString()).Describe().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            throw Transient.ToStreamException(error, $"Describe {topicPartition}");
        }
    }

    /// <summary>
    /// Kafka's ListOffsets: <see cref="OffsetSpec.Earliest"/>, <see cref="OffsetSpec.Latest"/> (the high watermark),
    /// or the first offset whose timestamp is at or after a time (ms since the epoch; -1 when there is none).
    /// </summary>
    public async Task<long> ListOffsetAsync(TopicPartition topicPartition, long spec)
    {
        ListOffsetsResponse response;
        try
        {
            response = await _grains.GetGrain<IPartitionGrain>(topicPartition.ToString()).ListOffsets(spec).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            throw Transient.ToStreamException(error, $"ListOffsets on {topicPartition}");
        }

        return response.Error == ErrorCode.None
            ? response.Offset
            : throw new OrleansStreamException(response.Error, response.ErrorMessage ?? $"ListOffsets on {topicPartition} failed with {response.Error}.");
    }
}
