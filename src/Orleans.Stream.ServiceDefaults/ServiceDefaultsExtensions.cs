using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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
/// of the same sources and an OTLP exporter for all three; the health check service; and, for a web host, the
/// health and metrics endpoints (<see cref="MapDefaultEndpoints"/>).
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Meters and activity sources: ours by prefix, and Orleans' own.</summary>
    public static readonly string[] Sources = ["Orleans.Stream.*", "Microsoft.Orleans", "Microsoft.Orleans.*"];

    /// <summary>Liveness: answers as long as the process serves requests (<c>/alive</c>).</summary>
    public const string AlivePath = "/alive";

    /// <summary>Readiness: only the checks tagged <see cref="HealthTags.Ready"/> (<c>/ready</c>; Kubernetes' readiness probe).</summary>
    public const string ReadyPath = "/ready";

    /// <summary>Every check; Degraded still answers 200 (<c>/health</c>; the Aspire dashboard's health).</summary>
    public const string HealthPath = "/health";

    /// <summary>The meters in Prometheus' text format (<c>/metrics</c>).</summary>
    public const string MetricsPath = "/metrics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Sources)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans only when they go somewhere: listening makes every grain call (replication included) build one.
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(Sources)).UseOtlpExporter();
            builder.Services.AddHostedService<TelemetryShutdown>();
        }

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);
        return builder;
    }

    /// <summary>
    /// <c>/alive</c>, <c>/ready</c>, <c>/health</c> and <c>/metrics</c>. Health answers carry each check's status and
    /// description as JSON, so an operator's <c>curl</c> says what is wrong, not just that something is.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Live), ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Ready), ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
