namespace Orleans.Stream.Client;

/// <summary>A member of a consumer group and the partitions it reads.</summary>
public sealed record ConsumerGroupMember(string MemberId, string ClientId, IReadOnlyList<TopicPartition> Assignment);

/// <summary>
/// A partition a group reads or has committed for: the committed offset (-1 when none), the partition's end (its high
/// watermark), the lag between them (null without a commit), and the member reading it ("" when none).
/// </summary>
public sealed record ConsumerGroupPartition(TopicPartition TopicPartition, long CommittedOffset, long EndOffset, long? Lag, string MemberId);

/// <summary>A consumer group as <c>ostream group describe</c> shows it.</summary>
public sealed record ConsumerGroupDescription(
    string GroupId,
    string State,
    int GenerationId,
    string? Protocol,
    string? LeaderId,
    IReadOnlyList<ConsumerGroupMember> Members,
    IReadOnlyList<ConsumerGroupPartition> Partitions)
{
    /// <summary>The sum of the partitions' lags.</summary>
    public long TotalLag
    {
        get
        {
            long total = 0;
            foreach (ConsumerGroupPartition partition in Partitions)
            {
                total += partition.Lag ?? 0;
            }

            return total;
        }
    }
}
