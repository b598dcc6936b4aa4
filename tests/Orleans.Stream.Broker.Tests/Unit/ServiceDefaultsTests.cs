using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Orleans.Stream.Broker.Diagnostics;
using Orleans.Stream.Client.Diagnostics;
using Orleans.Stream.ServiceDefaults;

namespace Orleans.Stream.Broker.Tests.Unit;

/// <summary>
/// The service defaults every broker process adds: our meters reach OpenTelemetry's exporters, and a web host
/// answers /alive, /ready, /health (with each check's status as JSON) and /metrics (Prometheus) over real HTTP.
/// </summary>
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
        host.Services.GetRequiredService<MeterProvider>().ForceFlush(); // false: the Prometheus reader only collects when scraped

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

    [Fact]
    public async Task The_health_and_metrics_endpoints_answer_over_http()
    {
        var readiness = new Switch();
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks()
            .AddCheck("recovered", () => readiness.On ? HealthCheckResult.Healthy("up") : HealthCheckResult.Unhealthy("still recovering"), [HealthTags.Ready])
            .AddCheck("replication", () => HealthCheckResult.Degraded("2 partitions under-replicated"));
        await using WebApplication app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        // Alive from the start; not ready until the ready-tagged check is; /health shows every check by name.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServiceDefaultsExtensions.AlivePath)).StatusCode);
        HttpResponseMessage notReady = await http.GetAsync(ServiceDefaultsExtensions.ReadyPath);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        using (JsonDocument body = JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()))
        {
            Assert.Equal("Unhealthy", body.RootElement.GetProperty("status").GetString());
            Assert.Equal("still recovering", body.RootElement.GetProperty("checks").GetProperty("recovered").GetProperty("description").GetString());
            Assert.False(body.RootElement.GetProperty("checks").TryGetProperty("replication", out _)); // not a readiness check
        }

        readiness.On = true;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServiceDefaultsExtensions.ReadyPath)).StatusCode);
        HttpResponseMessage health = await http.GetAsync(ServiceDefaultsExtensions.HealthPath);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // Degraded still serves
        using (JsonDocument body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()))
        {
            Assert.Equal("Degraded", body.RootElement.GetProperty("status").GetString());
            Assert.Equal("2 partitions under-replicated", body.RootElement.GetProperty("checks").GetProperty("replication").GetProperty("description").GetString());
        }

        BrokerMetrics.ProducedRecords.Add(7, new KeyValuePair<string, object?>(BrokerMetrics.TopicTag, "scraped"));
        string metrics = await http.GetStringAsync(ServiceDefaultsExtensions.MetricsPath);
        Assert.Contains("ostream_produce_records_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("ostream_topic=\"scraped\"", metrics, StringComparison.Ordinal);
        await app.StopAsync();
    }

    private sealed class Switch
    {
        public volatile bool On;
    }
}
