using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>
/// Runs infra/kubernetes/validate.mjs (it needs the repository's node_modules: <c>npm ci</c>) and reads the objects
/// it renders for each kustomization.
/// </summary>
internal static class Manifests
{
    public const string Base = "infra/kubernetes/base";
    public const string Local = "infra/kubernetes/overlays/local";
    public const string Azure = "infra/kubernetes/overlays/azure";

    public static readonly string[] Kustomizations = [Base, Local, Azure];

    private static readonly Lazy<Task<(ProcessRun Run, JsonObject Dirs)>> RenderedOnce = new(RenderAllAsync);

    public static string Script => Path.Combine(Tool.Infra, "kubernetes", "validate.mjs");

    /// <summary>Runs the validator on the given kustomization directories (all of infra/kubernetes when none).</summary>
    public static Task<ProcessRun> ValidateAsync(params string[] args)
    {
        string node = Tool.OnPath("node") ?? throw new InvalidOperationException("node is not on PATH: the manifest validator is a node script.");
        if (!Directory.Exists(Path.Combine(Tool.RepositoryRoot, "node_modules", "kubernetes-models")))
        {
            throw new InvalidOperationException("node_modules/kubernetes-models is missing: run `npm ci` at the repository root.");
        }

        return Tool.RunAsync(node, [Script, .. args]);
    }

    /// <summary>What <see cref="ValidateAsync"/> with <c>--json</c> renders, by kustomization directory.</summary>
    public static async Task<JsonObject> RenderAsync(params string[] dirs)
    {
        ProcessRun run = await ValidateAsync(["--json", .. dirs]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonNode.Parse(run.Stdout)!["dirs"]!.AsObject();
    }

    /// <summary>The validator's run over every kustomization of infra/kubernetes, once per test run.</summary>
    public static Task<(ProcessRun Run, JsonObject Dirs)> RenderedAsync() => RenderedOnce.Value;

    public static async Task<RenderedSet> RenderedAsync(string kustomization)
    {
        (ProcessRun run, JsonObject dirs) = await RenderedAsync();
        JsonNode? objects = dirs[kustomization];
        Assert.True(objects is not null, $"{kustomization} was not rendered: {run}");
        return new RenderedSet(objects.AsArray().Select(o => o!.AsObject()).ToList());
    }

    private static async Task<(ProcessRun, JsonObject)> RenderAllAsync()
    {
        ProcessRun run = await ValidateAsync("--json");
        JsonObject dirs = run.Stdout.TrimStart().StartsWith('{') ? JsonNode.Parse(run.Stdout)!["dirs"]!.AsObject() : [];
        return (run, dirs);
    }
}

/// <summary>The objects one kustomization renders.</summary>
internal sealed record RenderedSet(IReadOnlyList<JsonObject> Objects)
{
    public JsonObject Single(string kind, string name) =>
        Objects.SingleOrDefault(o => (string?)o["kind"] == kind && (string?)o["metadata"]?["name"] == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind}/{name} among {string.Join(", ", Objects.Select(o => $"{o["kind"]}/{o["metadata"]?["name"]}"))}");

    public JsonObject? Find(string kind, string name) =>
        Objects.SingleOrDefault(o => (string?)o["kind"] == kind && (string?)o["metadata"]?["name"] == name);

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => (string?)o["kind"] == kind);
}
