using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Stream.Kafka.Server;

namespace Orleans.Stream.Kafka;

public static class KafkaSiloBuilderExtensions
{
    /// <summary>
    /// Gives broker <paramref name="brokerId"/> a Kafka listener on <see cref="KafkaOptions.Port"/>. Its advertised
    /// endpoint must also be the broker's <c>BrokerOptions.KafkaEndpoint</c>, so that every broker's Metadata
    /// answer names it.
    /// </summary>
    public static ISiloBuilder AddOrleansStreamKafka(this ISiloBuilder builder, KafkaOptions options, int brokerId)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Kafka:Port must be a TCP port.");
        }

        builder.Services.AddSingleton(sp => new BrokerContext(brokerId, options, sp.GetRequiredService<IGrainFactory>()));
        builder.Services.AddSingleton<KafkaListener>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<KafkaListener>());
        return builder;
    }
}
