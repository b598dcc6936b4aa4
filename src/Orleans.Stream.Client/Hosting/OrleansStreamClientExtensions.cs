using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;
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
        services.TryAddSingleton(sp => new OrleansStreamClient(sp.GetRequiredService<IGrainFactory>()));
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
