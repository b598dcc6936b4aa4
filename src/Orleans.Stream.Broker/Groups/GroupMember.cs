namespace Orleans.Stream.Broker.Groups;

/// <summary>One member of a group as the coordinator tracks it.</summary>
internal sealed class GroupMember(string memberId, string clientId)
{
    public string MemberId { get; } = memberId;

    public string ClientId { get; } = clientId;

    public int SessionTimeoutMs { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    /// <summary>The protocols (assignors) it supports, in its order of preference, with its metadata for each.</summary>
    public GroupProtocol[] Protocols { get; set; } = [];

    /// <summary>Its share of the current generation's assignment (empty until the leader's SyncGroup).</summary>
    public byte[] Assignment { get; set; } = [];

    /// <summary>When it last showed it is alive (heartbeat, join, sync or commit), in the group's clock.</summary>
    public long LastSeenMs { get; set; }

    /// <summary>It has joined in the rebalance now being prepared.</summary>
    public bool HasJoined { get; set; }

    /// <summary>Its JoinGroup call waiting for the rebalance to complete, if one is waiting.</summary>
    public TaskCompletionSource<JoinGroupResponse>? PendingJoin { get; set; }

    /// <summary>Its SyncGroup call waiting for the leader's assignment, if one is waiting.</summary>
    public TaskCompletionSource<SyncGroupResponse>? PendingSync { get; set; }

    /// <summary>A member with a call waiting here is evidently alive: it is not expired while it waits.</summary>
    public bool IsWaiting => PendingJoin is not null || PendingSync is not null;

    public byte[] MetadataFor(string? protocol)
    {
        foreach (GroupProtocol candidate in Protocols)
        {
            if (candidate.Name == protocol)
            {
                return candidate.Metadata;
            }
        }

        return [];
    }

    public bool SameProtocols(GroupProtocol[] protocols)
    {
        if (protocols.Length != Protocols.Length)
        {
            return false;
        }

        for (int i = 0; i < protocols.Length; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }

        return true;
    }
}
