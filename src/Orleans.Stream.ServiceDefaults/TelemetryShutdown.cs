using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Orleans.Stream.ServiceDefaults;

/// <summary>
/// Flushes the OTLP exporters once the host has stopped, all three at once and for at most
/// <see cref="FlushTimeout"/>. Left to the container's disposal, the providers wait for their exporters' last
/// exports, up to the exporter's 10 s timeout: with a slow or gone collector (the Aspire dashboard under load, or
/// stopping with the app) a broker that had stopped its silo in under a second took 10.4 s to exit, and Aspire
/// reported its stop command as failed.
/// </summary>
internal sealed class TelemetryShutdown(IServiceProvider services, IHostApplicationLifetime lifetime) : IHostedService
{
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(Flush);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Flush()
    {
        int timeout = (int)FlushTimeout.TotalMilliseconds;
        var shutdowns = new List<Task>(3);
        if (services.GetService<TracerProvider>() is { } tracer)
        {
            shutdowns.Add(Task.Run(() => tracer.Shutdown(timeout)));
        }

        if (services.GetService<MeterProvider>() is { } meter)
        {
            shutdowns.Add(Task.Run(() => meter.Shutdown(timeout)));
        }

        if (services.GetService<LoggerProvider>() is { } logger)
        {
            shutdowns.Add(Task.Run(() => logger.Shutdown(timeout)));
        }

        // A shut-down provider's disposal no longer waits; an export still blocked runs on a background thread.
        Task.WaitAll([.. shutdowns], FlushTimeout + TimeSpan.FromMilliseconds(500));
    }
}
