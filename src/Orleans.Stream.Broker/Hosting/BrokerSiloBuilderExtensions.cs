using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Broker.Health;
using Orleans.Stream.Broker.Hosting;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;
using Orleans.Stream.Broker.Tiering;
using Orleans.Stream.Tiering;
using Azure.Storage.Blobs;

namespace Orleans.Stream.Broker;

public static class BrokerSiloBuilderExtensions
{
    /// <summary>The health check tag of readiness (the service defaults' <c>/ready</c> endpoint checks those).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Makes this silo an Orleans.Stream broker: publishes its broker id as silo metadata, opens its logs at start,
    /// and registers broker placement. The host must also register grain storage named
    /// <c>"ostream"</c> for the controller (Azure Blob in production, memory in unit tests).
    /// </summary>
    public static ISiloBuilder AddOrleansStreamBroker(this ISiloBuilder builder, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var metadata = new Dictionary<string, string>
        {
            [BrokerDirectory.BrokerIdKey] = options.Id.ToString(CultureInfo.InvariantCulture),
        };

        // The gateway endpoint is only known once the host has configured its endpoints; this runs before the
        // metadata options copy the dictionary (options configuration runs in registration order).
        builder.Services.AddOptions<SiloMetadata>().Configure<IOptions<EndpointOptions>>((_, endpoints) =>
        {
            if (endpoints.Value is { GatewayPort: > 0, AdvertisedIPAddress: { } address } gateway)
            {
                metadata[BrokerDirectory.GatewayKey] = new IPEndPoint(address, gateway.GatewayPort).ToString();
            }
        });
        if (options.KafkaEndpoint is { Length: > 0 } kafka)
        {
            metadata[BrokerDirectory.KafkaKey] = kafka;
        }

        builder.UseSiloMetadata(metadata);
        builder.AddPlacementDirector<BrokerPlacement, BrokerPlacementDirector>();
        builder.AddActivityPropagation(); // a client's trace continues through the grain calls (when anyone listens)

        IServiceCollection services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<BrokerDirectory>();
        services.AddSingleton<LogManager>();
        services.AddSingleton<MembershipWatcher>();
        services.AddSingleton(sp => new RemoteTier(
            sp.GetService<RemoteLogStore>(),
            new RemoteReadOptions { CacheBytes = options.RemoteReadCacheBytes, ChunkSize = options.RemoteReadChunkBytes },
            sp.GetRequiredService<ILogger<RemoteTier>>()));
        services.AddSingleton<TieringLoop>();
        services.AddSingleton(sp => new LeaderRegistry(options.Id));
        services.AddHealthChecks()
            .AddCheck<BrokerReadinessHealthCheck>(BrokerReadinessHealthCheck.Name, tags: [ReadyTag])
            .AddCheck<ReplicationHealthCheck>(ReplicationHealthCheck.Name)
            .AddCheck<TieringHealthCheck>(TieringHealthCheck.Name);
        services.AddSingleton<BrokerLifecycle>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BrokerLifecycle>());
        return builder;
    }

    /// <summary>
    /// Gives the broker a remote tier: sealed segments of topics with <c>remote.storage.enable=true</c> go to
    /// <paramref name="container"/> (created if missing), and reads below a log's local start come from there.
    /// </summary>
    public static ISiloBuilder AddOrleansStreamRemoteTier(this ISiloBuilder builder, BlobContainerClient container)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(container);
        builder.Services.AddSingleton(new RemoteLogStore(container));
        return builder;
    }
}
