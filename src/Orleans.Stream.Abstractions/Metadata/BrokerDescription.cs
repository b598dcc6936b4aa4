namespace Orleans.Stream;

/// <summary>A broker as cluster membership sees it now.</summary>
/// <param name="Id">The stable broker id (<c>Broker:Id</c>).</param>
/// <param name="SiloAddress">The silo currently serving as this broker; it changes on every restart.</param>
/// <param name="IsAlive">Whether membership lists the silo as active.</param>
/// <param name="Leaders">How many partitions this broker leads.</param>
/// <param name="Replicas">How many partition replicas this broker holds.</param>
/// <param name="Gateway">The Orleans gateway of its silo (advertised host:port), "" when unknown.</param>
/// <param name="KafkaEndpoint">Its Kafka listener (advertised host:port), "" when it has none.</param>
[GenerateSerializer, Immutable]
public sealed record BrokerDescription(
    [property: Id(0)] int Id,
    [property: Id(1)] string SiloAddress,
    [property: Id(2)] bool IsAlive,
    [property: Id(3)] int Leaders,
    [property: Id(4)] int Replicas,
    [property: Id(5)] string Gateway,
    [property: Id(6)] string KafkaEndpoint = "");
