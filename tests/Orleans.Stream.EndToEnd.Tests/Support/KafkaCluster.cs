using Orleans.Stream.Client;

namespace Orleans.Stream.EndToEnd.Tests.Support;

/// <summary>
/// Three broker processes with their Kafka ports, on Azurite, shared by the tests of the
/// <see cref="SharedClusterDefinition"/> (each uses its own topics and groups): starting a cluster costs more than
/// most of those tests. Tests that kill or restart brokers start their own.
/// </summary>
public sealed class KafkaCluster : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private BrokerProcesses? _cluster;
    private OrleansStreamConnection? _connection;

    internal BrokerProcesses Cluster => _cluster ?? throw new InvalidOperationException("not started");

    internal OrleansStreamConnection Connection => _connection ?? throw new InvalidOperationException("not started");

    public string DataRoot => _data.Path;

    public async Task InitializeAsync()
    {
        // A broker's copy of the cluster description stays valid for a minute here (1 s by default), so the tests
        // on this cluster rely on its being fetched again whenever a request names what the copy does not show.
        _cluster = await BrokerProcesses.StartAsync(_data.Path, environment: new Dictionary<string, string> { ["Kafka__MetadataMaxAge"] = "00:01:00" });
        _connection = await _cluster.ConnectWhenAllJoinedAsync();
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _data.Dispose();
    }
}

/// <summary>The test classes that share one <see cref="KafkaCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterDefinition : ICollectionFixture<KafkaCluster>
{
    public const string Name = "shared cluster";
}
