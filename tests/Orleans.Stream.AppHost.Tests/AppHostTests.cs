namespace Orleans.Stream.AppHost.Tests;

/// <summary>The AppHost binds fixed ports (Azurite's, the brokers'): its tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AppHostTests
{
    public const string Name = "AppHost";
}
