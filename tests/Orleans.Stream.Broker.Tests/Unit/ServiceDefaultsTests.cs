using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Client.Diagnostics;
using Orleans.Stream.ServiceDefaults;

namespace Orleans.Stream.Broker.Tests.Unit;

/// <summary>The service defaults every broker process adds: our meters reach OpenTelemetry's exporters; health checks run.</summary>
public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task The_broker_and_client_meters_are_exported_through_OpenTelemetry()
    {
        var exported = new List<Metric>();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(exported));
        using IHost host = builder.Build();
        await host.StartAsync();

        BrokerMetrics.ProduceDuration.Record(1.5);
        BrokerMetrics.TieringUploadedBytes.Add(4096);
        ClientMetrics.RequestDuration.Record(2.5);
        Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush());

        var names = exported.Select(metric => (metric.MeterName, metric.Name)).ToHashSet();
        Assert.Contains((BrokerMetrics.MeterName, "ostream.produce.duration"), names);
        Assert.Contains((BrokerMetrics.MeterName, "ostream.tiering.uploaded"), names);
        Assert.Contains((BrokerMetrics.MeterName, "ostream.tiering.backlog"), names); // observable: read at export
        Assert.Contains((ClientMetrics.MeterName, "ostream.producer.request.duration"), names);
        Assert.Contains(names, name => name.MeterName == "System.Runtime"); // the runtime's own

        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
        await host.StopAsync();
    }
}
