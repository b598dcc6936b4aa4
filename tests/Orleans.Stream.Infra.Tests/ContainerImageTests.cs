using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>
/// The image `dotnet publish src/Orleans.Stream.Silo -t:PublishContainer` builds, as the .NET SDK computes it
/// (ComputeContainerConfig, no registry needed): what the Kubernetes manifests expect of it. Building the image
/// itself pulls the base image's manifest from mcr.microsoft.com, which this test does not do.
/// </summary>
public sealed class ContainerImageTests
{
    [Fact]
    public async Task The_image_is_the_one_the_manifests_deploy()
    {
        string project = Path.Combine(Tool.RepositoryRoot, "src", "Orleans.Stream.Silo", "Orleans.Stream.Silo.csproj");
        ProcessRun run = await Tool.RunAsync(
            "dotnet",
            [
                "msbuild", project, "-restore", "-nologo", "-t:ResolvePackageAssets;ComputeContainerConfig",
                "-getProperty:ContainerRepository", "-getProperty:ContainerImageTag", "-getProperty:ContainerBaseImage",
                "-getProperty:ContainerUser", "-getItem:ContainerPort", "-getItem:ContainerAppCommand",
            ],
            TimeSpan.FromSeconds(120));
        Assert.True(run.ExitCode == 0, run.ToString());
        JsonNode result = JsonNode.Parse(run.Stdout[run.Stdout.IndexOf('{', StringComparison.Ordinal)..])!;
        JsonNode properties = result["Properties"]!;
        var pod = new BrokerPod(await Manifests.RenderedAsync(Manifests.Base));

        Assert.Equal((string?)pod.Container["image"], $"{properties["ContainerRepository"]}:{properties["ContainerImageTag"]}");
        // The silo is an ASP.NET Core app (health and metrics endpoints): the runtime-only image would not start it.
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", (string?)properties["ContainerBaseImage"], StringComparison.Ordinal);
        Assert.Equal(((int)pod.PodSpec["securityContext"]!["runAsUser"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)properties["ContainerUser"]);
        Assert.Equal(
            pod.Container["ports"]!.AsArray().Select(p => (int)p!["containerPort"]!).Order(),
            result["Items"]!["ContainerPort"]!.AsArray().Select(p => int.Parse((string)p!["Identity"]!, System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.Equal(["dotnet", "/app/ostream-broker.dll"], result["Items"]!["ContainerAppCommand"]!.AsArray().Select(c => (string)c!["Identity"]!));
    }
}
