using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Orleans.Stream.ServiceDefaults;

/// <summary>
/// The defaults every Orleans.Stream process adds once (the Aspire samples' ServiceDefaults, for a generic host):
/// OpenTelemetry for the <c>Orleans.Stream.*</c> and Orleans meters, the .NET runtime's metrics and logs, and when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the Aspire AppHost sets it, so the dashboard shows everything) traces
/// of the same sources and an OTLP exporter for all three; and the health check service.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Meters and activity sources: ours by prefix, and Orleans' own.</summary>
    public static readonly string[] Sources = ["Orleans.Stream.*", "Microsoft.Orleans", "Microsoft.Orleans.*"];

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(Sources).AddRuntimeInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans only when they go somewhere: listening makes every grain call (replication included) build one.
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(Sources)).UseOtlpExporter();
        }

        builder.Services.AddHealthChecks();
        return builder;
    }
}
