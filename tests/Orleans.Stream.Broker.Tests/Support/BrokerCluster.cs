using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Stream.Broker;
using Orleans.Stream.Client;
using Orleans.TestingHost;

namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>
/// A real 3-silo Orleans test cluster whose silos are brokers: broker N keeps its logs in {root}/broker-N.
/// Building a second cluster over the same root (and the same grain storage) is a full cluster restart.
/// </summary>
internal sealed class BrokerCluster : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> _brokerIds;
    private readonly ConcurrentQueue<int> _nextIds;

    private BrokerCluster(InProcessTestCluster cluster, string dataRoot, ConcurrentDictionary<string, int> brokerIds, ConcurrentQueue<int> nextIds)
    {
        Cluster = cluster;
        DataRoot = dataRoot;
        _brokerIds = brokerIds;
        _nextIds = nextIds;
    }

    public InProcessTestCluster Cluster { get; }

    public string DataRoot { get; }

    public OrleansStreamClient Client => new(Cluster.Client);

    /// <summary>
    /// Starts <paramref name="silos"/> broker silos over <paramref name="dataRoot"/>. Grain storage is in memory
    /// unless <paramref name="configureStorage"/> registers the <c>ostream</c> provider (e.g. on Azurite);
    /// <paramref name="configureSilo"/> adds anything else (e.g. fault-injecting call filters).
    /// </summary>
    public static async Task<BrokerCluster> StartAsync(
        string dataRoot, int silos = 3, Action<ISiloBuilder>? configureStorage = null, string? serviceId = null, Action<ISiloBuilder>? configureSilo = null,
        Action<BrokerOptions>? configureBroker = null)
    {
        var names = new ConcurrentDictionary<string, int>();
        var nextIds = new ConcurrentQueue<int>();
        var builder = new InProcessTestClusterBuilder((short)silos);
        if (serviceId is not null)
        {
            builder.Options.ServiceId = serviceId;
        }

        builder.ConfigureSilo((options, silo) =>
        {
            // Silos may be configured concurrently: ids are handed out under a lock so no two silos share one.
            // A rebuilt cluster hands out 0..n-1 again, so each broker id finds its data directory again.
            int id;
            lock (names)
            {
                if (!names.TryGetValue(options.SiloName, out id))
                {
                    id = nextIds.TryDequeue(out int next) ? next : names.Count;
                    names[options.SiloName] = id;
                }
            }
            var broker = new BrokerOptions
            {
                Id = id,
                DataDir = Path.Combine(dataRoot, $"broker-{id}"),
                MaxFetchWait = TimeSpan.FromSeconds(5),
            };
            configureBroker?.Invoke(broker);
            silo.AddOrleansStreamBroker(broker);
            if (configureStorage is null)
            {
                silo.AddMemoryGrainStorage("ostream");
            }
            else
            {
                configureStorage(silo);
            }

            configureSilo?.Invoke(silo);
        });

        builder.ConfigureClient(client => client.AddActivityPropagation()); // as OrleansStreamConnection's clients do
        InProcessTestCluster cluster = builder.Build();
        await cluster.DeployAsync();
        var result = new BrokerCluster(cluster, dataRoot, names, nextIds);
        await result.WaitForBrokersAsync(silos);
        return result;
    }

    /// <summary>Kills broker <paramref name="brokerId"/>'s silo hard (no graceful shutdown, no log close).</summary>
    public async Task KillBrokerAsync(int brokerId)
    {
        string name = _brokerIds.Single(pair => pair.Value == brokerId).Key;
        InProcessSiloHandle silo = Cluster.Silos.Single(s => s.Name == name);
        await Cluster.KillSiloAsync(silo);
        _brokerIds.TryRemove(name, out _);
    }

    /// <summary>The live brokers' ids.</summary>
    public int[] BrokerIds => [.. _brokerIds.Values.Order()];

    /// <summary>Broker <paramref name="brokerId"/>'s log manager, to look at its replicas' logs directly.</summary>
    public Logs.LogManager LogsOf(int brokerId) => ServicesOf(brokerId).GetRequiredService<Logs.LogManager>();

    /// <summary>Broker <paramref name="brokerId"/>'s silo services (its health checks, say).</summary>
    public IServiceProvider ServicesOf(int brokerId)
    {
        string name = _brokerIds.Single(pair => pair.Value == brokerId).Key;
        return Cluster.Silos.Single(s => s.Name == name).SiloHost.Services;
    }

    /// <summary>Starts a new silo as broker <paramref name="brokerId"/>, over that broker's data directory.</summary>
    public async Task StartBrokerAsync(int brokerId)
    {
        _nextIds.Enqueue(brokerId);
        await Cluster.StartAdditionalSiloAsync();
    }

    /// <summary>
    /// A cluster whose controller state lives in blob storage on <paramref name="azurite"/>, so it survives the loss of
    /// any silo and a full restart (with the same <paramref name="serviceId"/>), as in production.
    /// </summary>
    public static Task<BrokerCluster> StartOnAzuriteAsync(
        string dataRoot, Azurite azurite, string serviceId, int silos = 3, Action<ISiloBuilder>? configureSilo = null, Action<BrokerOptions>? configureBroker = null) =>
        StartAsync(dataRoot, silos, silo => silo.AddAzureBlobGrainStorage("ostream", options =>
        {
            options.BlobServiceClient = new BlobServiceClient(azurite.ConnectionString);
            options.ContainerName = "ostream-state";
        }), serviceId, configureSilo, configureBroker);

    /// <summary>
    /// A cluster for tests that kill brokers: the controller's state must outlive any one silo, so it lives on Azurite
    /// (memory grain storage lives in grains, and dies with the silo that hosts them).
    /// </summary>
    public static Task<BrokerCluster> StartSurvivingAsync(string dataRoot, Azurite azurite, Action<ISiloBuilder>? configureSilo = null, Action<BrokerOptions>? configureBroker = null) =>
        StartOnAzuriteAsync(dataRoot, azurite, "kill-" + Guid.NewGuid().ToString("N")[..8], configureSilo: configureSilo, configureBroker: configureBroker);

    /// <summary>The broker whose silo hosts the activation of <paramref name="grain"/> now, or -1 when it is not active.</summary>
    public async Task<int> BrokerHostingAsync(GrainId grain)
    {
        DetailedGrainStatistic[] activations = await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        foreach (DetailedGrainStatistic activation in activations)
        {
            if (activation.GrainId == grain)
            {
                string name = Cluster.Silos.Single(s => s.SiloAddress == activation.SiloAddress).Name;
                return _brokerIds.TryGetValue(name, out int id) ? id : -1;
            }
        }

        return -1;
    }

    /// <summary>Waits until the controller sees <paramref name="count"/> live brokers (silo metadata arrives asynchronously).</summary>
    public async Task WaitForBrokersAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            ClusterDescription cluster = await Client.Admin.DescribeClusterAsync();
            if (cluster.Brokers.Count(b => b.IsAlive) >= count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {cluster.Brokers.Count(b => b.IsAlive)} of {count} brokers became visible.");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
