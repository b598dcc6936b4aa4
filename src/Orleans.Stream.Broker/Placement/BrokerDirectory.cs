using System.Globalization;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Orleans.Stream.Broker.Placement;

/// <summary>A broker that cluster membership lists as active, and the silo serving it now.</summary>
internal readonly record struct LiveBroker(int Id, SiloAddress Silo);

/// <summary>
/// Maps stable broker ids to the silos serving them. Every broker silo publishes its id as silo metadata when it
/// starts; membership says which silos are alive. A silo address is never stored as the owner of data: it changes
/// on every restart, the broker id does not.
/// </summary>
internal sealed class BrokerDirectory(IClusterMembershipService membership, ISiloMetadataCache metadata)
{
    /// <summary>The silo metadata key under which a broker silo publishes its <see cref="BrokerOptions.Id"/>.</summary>
    public const string BrokerIdKey = "orleans-stream.broker-id";

    /// <summary>
    /// The silo metadata key under which a broker silo publishes its Orleans gateway (advertised host:port), so that
    /// clients can send a partition's requests straight to its leader instead of through another gateway.
    /// </summary>
    public const string GatewayKey = "orleans-stream.gateway";

    /// <summary>The silo metadata key of a broker's Kafka listener (advertised host:port), for Kafka clients.</summary>
    public const string KafkaKey = "orleans-stream.kafka";

    /// <summary>Active brokers, ordered by id. A restarted broker whose old silo is not yet declared dead appears once, as its newest silo.</summary>
    public List<LiveBroker> LiveBrokers()
    {
        var byId = new SortedDictionary<int, SiloAddress>();
        foreach (ClusterMember member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Active || !TryGetBrokerId(member.SiloAddress, out int id))
            {
                continue;
            }

            if (!byId.TryGetValue(id, out SiloAddress? known) || known.Generation < member.SiloAddress.Generation)
            {
                byId[id] = member.SiloAddress;
            }
        }

        var brokers = new List<LiveBroker>(byId.Count);
        foreach ((int id, SiloAddress silo) in byId)
        {
            brokers.Add(new LiveBroker(id, silo));
        }

        return brokers;
    }

    /// <summary>The silo serving broker <paramref name="brokerId"/>, or null if it is not alive (or not yet known).</summary>
    public SiloAddress? FindSilo(int brokerId)
    {
        foreach (LiveBroker broker in LiveBrokers())
        {
            if (broker.Id == brokerId)
            {
                return broker.Silo;
            }
        }

        return null;
    }

    /// <summary>The gateway endpoint (host:port) the broker's silo published, or "" if it has none.</summary>
    public string GatewayOf(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(GatewayKey, out string? value) ? value : "";

    /// <summary>The Kafka endpoint (host:port) the broker's silo published, or "" if it has no Kafka listener.</summary>
    public string KafkaEndpointOf(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(KafkaKey, out string? value) ? value : "";

    public bool TryGetBrokerId(SiloAddress silo, out int brokerId)
    {
        brokerId = -1;
        return metadata.GetSiloMetadata(silo).Metadata.TryGetValue(BrokerIdKey, out string? value)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out brokerId);
    }
}
