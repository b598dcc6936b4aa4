using System.Reflection;
using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>
/// The bicep compiler of the NuGet package Azure.Bicep.CommandLine.linux-x64, which the test project downloads
/// (its folder is recorded in this assembly's metadata at build time).
/// </summary>
internal static class Bicep
{
    private static readonly Lazy<Task<(ProcessRun Run, JsonObject? Template)>> MainOnce = new(() => BuildAsync("build", "main.bicep"));

    public static string? Executable { get; } = Find();

    public static string? MissingReason { get; } = Executable is null
        ? $"the bicep executable is not in the Azure.Bicep.CommandLine.linux-x64 package folder ('{PackageDirectory}'); it is only shipped for linux-x64"
        : null;

    private static string? PackageDirectory => typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .SingleOrDefault(a => a.Key == "BicepPackageDirectory")?.Value;

    /// <summary><c>bicep build infra/azure/main.bicep --stdout</c> and the ARM template it writes, once per test run.</summary>
    public static Task<(ProcessRun Run, JsonObject? Template)> MainTemplateAsync() => MainOnce.Value;

    /// <summary>Runs <c>bicep COMMAND infra/azure/FILE --stdout</c>.</summary>
    public static async Task<(ProcessRun Run, JsonObject? Output)> BuildAsync(string command, string file)
    {
        Assert.True(Executable is not null, MissingReason); // the package is this project's dependency: missing means a broken restore
        ProcessRun run = await Tool.RunAsync(Executable, [command, Path.Combine(Tool.Infra, "azure", file), "--stdout"]);
        return (run, run.ExitCode == 0 ? JsonNode.Parse(run.Stdout)!.AsObject() : null);
    }

    private static string? Find()
    {
        if (!OperatingSystem.IsLinux() || string.IsNullOrEmpty(PackageDirectory))
        {
            return null;
        }

        string path = Path.Combine(PackageDirectory, "tools", "bicep");
        if (!File.Exists(path))
        {
            return null;
        }

        // NuGet may extract it without its execute bit.
        UnixFileMode mode = File.GetUnixFileMode(path);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
        }

        return path;
    }
}
