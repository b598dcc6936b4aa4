namespace Orleans.Stream.Storage;

/// <summary>When an append counts as done (the topic config <c>flush.policy</c>).</summary>
public enum FlushPolicy
{
    /// <summary>
    /// <c>group-commit</c>: an append completes only after its bytes are fsynced; appends that arrive while an fsync
    /// runs share the next one.
    /// </summary>
    GroupCommit,

    /// <summary>
    /// <c>replicated</c>: an append completes once written to the OS; durability comes from replicas, and a background
    /// flush every <c>flush.ms</c> bounds what a power loss can take.
    /// </summary>
    Replicated,
}
