using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Stream.Broker.Hosting;
using Orleans.Stream.Broker.Logs;
using Orleans.Stream.Broker.Placement;

namespace Orleans.Stream.Broker;

public static class BrokerSiloBuilderExtensions
{
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
        builder.UseSiloMetadata(metadata);
        builder.AddPlacementDirector<BrokerPlacement, BrokerPlacementDirector>();

        IServiceCollection services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<BrokerDirectory>();
        services.AddSingleton<LogManager>();
        services.AddSingleton<MembershipWatcher>();
        services.AddSingleton<BrokerLifecycle>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BrokerLifecycle>());
        return builder;
    }
}
