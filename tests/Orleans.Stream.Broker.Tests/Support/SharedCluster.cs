namespace Orleans.Stream.Broker.Tests.Support;

/// <summary>One 3-broker cluster (memory grain storage) shared by the tests of a class; each test uses its own topics.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    private readonly TempDirectory _data = new();

    internal BrokerCluster Brokers { get; private set; } = null!;

    public async Task InitializeAsync() => Brokers = await BrokerCluster.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await Brokers.DisposeAsync();
        _data.Dispose();
    }
}
