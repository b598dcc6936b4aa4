namespace Orleans.Stream.Infra.Tests;

/// <summary>Runs the command-line tools the infra tests need (node, bicep, kubectl), from the repository root.</summary>
internal static class Tool
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Infra => Path.Combine(RepositoryRoot, "infra");

    /// <summary>Runs a tool from the repository root (the shared <see cref="ProcessRun"/>).</summary>
    public static Task<ProcessRun> RunAsync(string fileName, IEnumerable<string> args, TimeSpan? timeout = null) =>
        ProcessRun.RunAsync(fileName, args, timeout: timeout, workingDirectory: RepositoryRoot);

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Stream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Orleans.Stream.sln above {AppContext.BaseDirectory}");
    }
}
