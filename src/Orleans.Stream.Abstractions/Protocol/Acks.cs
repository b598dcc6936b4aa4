namespace Orleans.Stream;

/// <summary>How much of the cluster must have a batch before its produce request is answered (Kafka's <c>acks</c>).</summary>
public enum Acks : short
{
    /// <summary><c>acks=0</c>: fire and forget; the producer learns of no failure and gets no offsets.</summary>
    None = 0,

    /// <summary><c>acks=1</c>: the leader's log has it (fsynced first under <c>flush.policy=group-commit</c>).</summary>
    Leader = 1,

    /// <summary><c>acks=all</c> (-1): every in-sync replica has it.</summary>
    All = -1,
}
