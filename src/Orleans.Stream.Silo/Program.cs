using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Stream.ServiceDefaults;
using Orleans.Stream.Silo;

// ostream-broker: one Orleans.Stream broker silo. docs/operations.md lists every setting; the short form is
//   ostream-broker --broker-id 0 --data-dir .data/broker-0 --silo-port 11111 --gateway-port 30000 \
//                  --http-port 8080 --storage "<Azure Storage connection string>"
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, BrokerSiloSettings.SwitchMappings);
BrokerSiloSettings settings;
try
{
    settings = BrokerSiloSettings.Read(builder.Configuration);
}
catch (InvalidOperationException error)
{
    Console.Error.WriteLine($"ostream-broker: {error.Message}");
    return 2;
}

// Health (/alive, /ready, /health) and Prometheus metrics (/metrics) over HTTP: on loopback when the silo is
// (local runs, tests), on every address when it advertises a routable one (a pod).
builder.WebHost.ConfigureKestrel(kestrel =>
{
    if (IPAddress.IsLoopback(settings.AdvertisedAddress))
    {
        kestrel.Listen(IPAddress.Loopback, settings.HttpPort);
    }
    else
    {
        kestrel.ListenAnyIP(settings.HttpPort);
    }
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // not a line per probe and scrape
builder.AddServiceDefaults(); // OpenTelemetry (OTLP when the AppHost or the operator sets OTEL_EXPORTER_OTLP_ENDPOINT), health checks
builder.UseOrleans(silo => settings.Configure(silo));
await using WebApplication app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
return 0;
