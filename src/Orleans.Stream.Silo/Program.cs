using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Stream.ServiceDefaults;
using Orleans.Stream.Silo;

// ostream-broker: one Orleans.Stream broker silo. docs/operations.md lists every setting; the short form is
//   ostream-broker --broker-id 0 --data-dir .data/broker-0 --silo-port 11111 --gateway-port 30000 \
//                  --storage "<Azure Storage connection string>"
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
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

builder.AddServiceDefaults(); // OpenTelemetry (OTLP when the AppHost or the operator sets OTEL_EXPORTER_OTLP_ENDPOINT), health checks
builder.UseOrleans(silo => settings.Configure(silo));
using IHost host = builder.Build();
await host.RunAsync();
return 0;
