using Orleans.Placement;
using Orleans.Runtime;

namespace Orleans.Stream.Broker.Placement;

/// <summary>
/// Places a grain on the silo of the broker that owns it: a partition grain on its partition's leader broker, a
/// broker grain on the broker its key names. See <see cref="BrokerPlacementDirector"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class BrokerPlacement : PlacementStrategy
{
    internal static BrokerPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="BrokerPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class BrokerPlacementAttribute : PlacementAttribute
{
    public BrokerPlacementAttribute() : base(BrokerPlacement.Instance) { }
}
