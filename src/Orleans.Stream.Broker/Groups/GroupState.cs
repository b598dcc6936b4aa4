namespace Orleans.Stream.Broker.Groups;

/// <summary>
/// What a group coordinator persists: the last stable generation (members and their assignments, so members keep
/// working when the coordinator moves to another silo) and the committed offsets.
/// </summary>
[GenerateSerializer]
internal sealed class GroupState
{
    [Id(0)]
    public int GenerationId { get; set; }

    [Id(1)]
    public string? ProtocolType { get; set; }

    [Id(2)]
    public string? Protocol { get; set; }

    [Id(3)]
    public string? LeaderId { get; set; }

    [Id(4)]
    public List<PersistedMember> Members { get; set; } = [];

    /// <summary>A list, not a dictionary: grain storage may serialize to JSON, whose object keys must be strings.</summary>
    [Id(5)]
    public List<CommittedOffset> Offsets { get; set; } = [];

    /// <summary>The group is in the cluster's group directory.</summary>
    [Id(6)]
    public bool Registered { get; set; }

    /// <summary>The <see cref="GroupPhase"/> when this was written.</summary>
    [Id(7)]
    public int Phase { get; set; }
}

[GenerateSerializer]
internal sealed record PersistedMember(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] int SessionTimeoutMs,
    [property: Id(3)] int RebalanceTimeoutMs,
    [property: Id(4)] GroupProtocol[] Protocols,
    [property: Id(5)] byte[] Assignment);
