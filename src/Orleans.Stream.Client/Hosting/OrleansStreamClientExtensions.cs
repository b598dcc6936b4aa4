using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Stream.Client;

namespace Orleans.Stream;

public static class OrleansStreamClientExtensions
{
    /// <summary>
    /// Registers <see cref="OrleansStreamClient"/> on top of the Orleans client this builder configures (clustering,
    /// gateways) or, inside a silo, on top of the silo's own grain factory.
    /// </summary>
    public static IServiceCollection AddOrleansStreamClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new OrleansStreamClient(
            sp.GetRequiredService<IGrainFactory>(),
            // An external client (it has a gateway list) gets direct per-broker connections; inside a silo, Orleans
            // already sends each call to the grain's silo.
            sp.GetService<IGatewayListProvider>() is null ? null : sp.GetRequiredService<IOptions<ClusterOptions>>().Value));
        return services;
    }

    /// <inheritdoc cref="AddOrleansStreamClient(IServiceCollection)"/>
    public static IClientBuilder AddOrleansStreamClient(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOrleansStreamClient();
        return builder;
    }
}
