using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Stream.Broker;
using Orleans.Stream.Kafka;

namespace Orleans.Stream.Silo;

/// <summary>
/// Everything a broker silo is told at start, from configuration (appsettings, environment variables such as
/// <c>Broker__Id</c>, or the command-line switches in <see cref="SwitchMappings"/>). docs/operations.md lists them.
/// </summary>
internal sealed record BrokerSiloSettings(
    BrokerOptions Broker,
    string ClusterId,
    string ServiceId,
    IPAddress AdvertisedAddress,
    int SiloPort,
    int GatewayPort,
    int HttpPort,
    KafkaOptions? Kafka,
    string? ClusteringConnectionString,
    string? StorageConnectionString,
    string StorageContainer,
    string TieringContainer)
{
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--broker-id"] = "Broker:Id",
        ["--data-dir"] = "Broker:DataDir",
        ["--silo-port"] = "Orleans:SiloPort",
        ["--gateway-port"] = "Orleans:GatewayPort",
        ["--http-port"] = "Broker:HttpPort",
        ["--kafka-port"] = "Kafka:Port",
        ["--advertised-ip"] = "Orleans:AdvertisedIPAddress",
        ["--cluster-id"] = "Orleans:ClusterId",
        ["--storage"] = "ConnectionStrings:storage",
    };

    public static BrokerSiloSettings Read(IConfiguration configuration)
    {
        var broker = new BrokerOptions();
        configuration.GetSection(BrokerOptions.SectionName).Bind(broker);
        if (broker.Id < 0)
        {
            throw new InvalidOperationException("set the broker id with --broker-id N (or Broker:Id / Broker__Id).");
        }

        if (string.IsNullOrWhiteSpace(broker.DataDir))
        {
            broker.DataDir = Path.Combine(".data", $"broker-{broker.Id}");
        }

        broker.DataDir = Path.GetFullPath(broker.DataDir);
        IConfigurationSection orleans = configuration.GetSection("Orleans");
        int siloPort = orleans.GetValue("SiloPort", 11111 + broker.Id);
        int gatewayPort = orleans.GetValue("GatewayPort", 30000 + broker.Id);
        int httpPort = configuration.GetValue("Broker:HttpPort", 8080 + broker.Id); // health and metrics
        string address = orleans["AdvertisedIPAddress"] ?? "127.0.0.1";
        if (!IPAddress.TryParse(address, out IPAddress? advertised))
        {
            throw new InvalidOperationException($"Orleans:AdvertisedIPAddress '{address}' is not an IP address.");
        }


        // The Kafka listener: 9092 + id unless set (0 turns it off), advertised at the silo's address by default.
        var kafka = new KafkaOptions { Port = 9092 + broker.Id, AdvertisedHost = advertised.ToString(), LoopbackOnly = IPAddress.IsLoopback(advertised) };
        configuration.GetSection(KafkaOptions.SectionName).Bind(kafka);
        kafka.ClusterId = orleans["ClusterId"] ?? "ostream-local";
        broker.KafkaEndpoint = kafka.Port > 0 ? kafka.AdvertisedEndpoint : null;

        // One storage account serves both clustering (tables) and the controller's state (blobs); each can be
        // given separately, as Aspire passes them (ConnectionStrings:clustering / ConnectionStrings:blobs).
        string? storage = configuration.GetConnectionString("storage");
        return new BrokerSiloSettings(
            broker,
            orleans["ClusterId"] ?? "ostream-local",
            orleans["ServiceId"] ?? "orleans-stream",
            advertised,
            siloPort,
            gatewayPort,
            httpPort,
            kafka.Port > 0 ? kafka : null,
            configuration.GetConnectionString("clustering") ?? storage,
            configuration.GetConnectionString("blobs") ?? storage,
            configuration["Broker:StateContainer"] ?? "ostream-state",
            configuration["Broker:TieringContainer"] ?? "ostream-tiered");
    }

    public void Configure(ISiloBuilder silo)
    {
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = ClusterId;
            options.ServiceId = ServiceId;
        });
        silo.Configure<SiloOptions>(options => options.SiloName = string.Create(CultureInfo.InvariantCulture, $"broker-{Broker.Id}"));
        silo.ConfigureEndpoints(AdvertisedAddress, SiloPort, GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(AdvertisedAddress));

        if (ClusteringConnectionString is { } clustering)
        {
            silo.UseAzureStorageClustering(options => options.TableServiceClient = IsEndpoint(clustering, out Uri? endpoint)
                ? new TableServiceClient(endpoint, new DefaultAzureCredential())
                : new TableServiceClient(clustering));
        }
        else
        {
            // Development only: broker 0's silo is the primary the others find. Loses no data, but the cluster
            // cannot survive the loss of broker 0; run with a storage connection for that.
            silo.UseDevelopmentClustering(new IPEndPoint(AdvertisedAddress, SiloPort - Broker.Id));
        }

        if (StorageConnectionString is { } storage)
        {
            // Azurite may lag behind the newest service version the SDK speaks; this one both accept.
            var version = new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_11_05);
            version.Retry.NetworkTimeout = TimeSpan.FromSeconds(30); // a hung request (at most 4 MiB) gives up long before the SDK's 100 s
            BlobServiceClient blobs = IsEndpoint(storage, out Uri? endpoint)
                ? new BlobServiceClient(endpoint, new DefaultAzureCredential(), version)
                : new BlobServiceClient(storage, version);
            silo.AddAzureBlobGrainStorage("ostream", options =>
            {
                options.BlobServiceClient = blobs;
                options.ContainerName = StorageContainer;
            });

            // The same account holds the remote tier, in its own container.
            silo.AddOrleansStreamRemoteTier(blobs.GetBlobContainerClient(TieringContainer));
        }
        else
        {
            silo.AddMemoryGrainStorage("ostream");
        }

        silo.AddOrleansStreamBroker(Broker);
        if (Kafka is { } kafka)
        {
            silo.AddOrleansStreamKafka(kafka, Broker.Id);
        }
    }

    /// <summary>
    /// A service endpoint (<c>https://account.blob.core.windows.net</c>) rather than a connection string: the silo then
    /// signs in with <see cref="DefaultAzureCredential"/> (managed identity in Azure, the developer's login locally).
    /// </summary>
    private static bool IsEndpoint(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? endpoint) =>
        Uri.TryCreate(value, UriKind.Absolute, out endpoint) && endpoint.Scheme == Uri.UriSchemeHttps && !value.Contains(';', StringComparison.Ordinal);
}
