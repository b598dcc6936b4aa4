namespace Orleans.Stream.Testing;

/// <summary>The built broker silo and CLI, next to this test assembly's build (same configuration and framework).</summary>
internal static class Executables
{
    public static string Broker => Find("Orleans.Stream.Silo", "ostream-broker.dll");

    public static string Cli => Find("Orleans.Stream.Cli", "ostream.dll");

    private static string Find(string project, string dll)
    {
        // tests/X/bin/{configuration}/{framework}/ → src/{project}/bin/{configuration}/{framework}/{dll}
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = bin.Name;
        string configuration = bin.Parent!.Name;
        string path = Path.Combine(Azurite.RepositoryRoot(), "src", project, "bin", configuration, framework, dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built at {path}.");
    }
}
