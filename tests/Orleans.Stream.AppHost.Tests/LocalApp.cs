using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Orleans.Stream.AppHost.Tests;

/// <summary>The real AppHost (Azurite and three brokers) over a data root of the test's, started and healthy.</summary>
internal static class LocalApp
{
    public static readonly string[] Brokers = ["broker-0", "broker-1", "broker-2"];

    public static async Task<DistributedApplication> StartAsync(string dataRoot, CancellationToken cancellationToken)
    {
        IDistributedApplicationTestingBuilder builder =
            await DistributedApplicationTestingBuilder.CreateAsync<Projects.Orleans_Stream_AppHost>([$"--DataRoot={dataRoot}"], cancellationToken);
        DistributedApplication app = await builder.BuildAsync(cancellationToken);
        try
        {
            await app.StartAsync(cancellationToken);
            foreach (string broker in Brokers)
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(broker, cancellationToken); // its /health
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }
}
