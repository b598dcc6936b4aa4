namespace Orleans.Stream.Kafka;

/// <summary>The broker's Kafka listener (configuration section <c>Kafka</c>).</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>The TCP port Kafka clients connect to (<c>Kafka:Port</c>); 0 turns the listener off.</summary>
    public int Port { get; set; }

    /// <summary>The host name or address clients are told to use for this broker (Kafka's <c>advertised.listeners</c>).</summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>Listen on loopback only (local runs, tests) rather than on every address.</summary>
    public bool LoopbackOnly { get; set; } = true;

    /// <summary>The largest request frame accepted (Kafka's <c>socket.request.max.bytes</c>, 100 MiB); a larger one closes its connection.</summary>
    public int MaxRequestBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>
    /// How old this broker's copy of the controller's cluster description may be when it answers Metadata or checks
    /// leadership (<c>Kafka:MetadataMaxAge</c>, 1 s). A request naming a partition the copy lacks, or places elsewhere,
    /// always gets a fresh one, whatever its age.
    /// </summary>
    public TimeSpan MetadataMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The id clients see in Metadata's cluster id.</summary>
    public string ClusterId { get; set; } = "orleans-stream";

    /// <summary>This broker's advertised endpoint, <c>host:port</c>.</summary>
    public string AdvertisedEndpoint => $"{AdvertisedHost}:{Port}";
}
