namespace Orleans.Stream.Testing;

/// <summary>The built broker silo and CLI, next to this test assembly's build (same configuration and framework).</summary>
internal static class Executables
{
    public static string Broker => Find("src", "Orleans.Stream.Silo", "ostream-broker.dll");

    public static string Cli => Find("src", "Orleans.Stream.Cli", "ostream.dll");

    /// <summary>The load tool, whose <c>verify-produce</c> is the producer process of the replication crash test.</summary>
    public static string LoadTool => Find("bench", "Orleans.Stream.LoadTest", "ostream-perf.dll");

    private static string Find(string folder, string project, string dll)
    {
        // tests/X/bin/{configuration}/{framework}/ → {folder}/{project}/bin/{configuration}/{framework}/{dll}
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = bin.Name;
        string configuration = bin.Parent!.Name;
        string path = Path.Combine(Azurite.RepositoryRoot(), folder, project, "bin", configuration, framework, dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built at {path}.");
    }
}
