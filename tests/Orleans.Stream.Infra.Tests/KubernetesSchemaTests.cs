using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>
/// infra/kubernetes renders (base and every overlay) to objects the Kubernetes API schemas accept, and the
/// validator that says so rejects broken manifests and kustomize features it does not render.
/// </summary>
public sealed class KubernetesSchemaTests
{
    [Fact]
    public async Task Every_kustomization_renders_and_validates()
    {
        (ProcessRun run, JsonObject dirs) = await Manifests.RenderedAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("every manifest is valid", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(Manifests.Kustomizations.Order(), dirs.Select(d => d.Key).Order());
        foreach (string kustomization in Manifests.Kustomizations)
        {
            Assert.Contains($"valid {kustomization}: ", run.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("statefulset.yaml", "containerPort: 8080", "containerPort: \"8080\"", "StatefulSet/ostream-broker: /spec/template/spec/containers/0/ports/2/containerPort: must be integer")]
    [InlineData("statefulset.yaml", "  selector:\n    matchLabels:\n      app.kubernetes.io/name: orleans-stream\n      app.kubernetes.io/component: broker\n  template:", "  template:", "StatefulSet/ostream-broker: /spec: must have required property selector")]
    [InlineData("statefulset.yaml", "readinessProbe:", "readinesProbe:", "StatefulSet/ostream-broker: /spec/template/spec/containers/0: unknown field \"readinesProbe\"")]
    [InlineData("statefulset.yaml", "podManagementPolicy: Parallel", "podManagementPolicy: parallel", "/spec/podManagementPolicy: must be equal to one of the allowed values (OrderedReady, Parallel)")]
    [InlineData("service-gateway.yaml", "name: ostream-gateway", "name: Ostream_Gateway", "Service/Ostream_Gateway: /metadata/name: 'Ostream_Gateway' is not a DNS subdomain")]
    [InlineData("pdb.yaml", "maxUnavailable: 1", "maxUnavailable: 1\n  maxUnavailable: 2", "Map keys must be unique")]
    [InlineData("kustomization.yaml", "images:", "commonLabels:\n  team: streaming\nimages:", "'commonLabels' is not supported by validate.mjs")]
    [InlineData("kustomization.yaml", "  - pdb.yaml", "  - pdb.yaml\n  - missing.yaml", "resource 'missing.yaml' does not exist")]
    public async Task A_broken_manifest_is_reported(string file, string find, string replaceWith, string expectedError)
    {
        using var temp = new TempDirectory();
        string dir = CopyBase(temp);
        string path = Path.Combine(dir, file);
        string text = File.ReadAllText(path);
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(find, replaceWith, StringComparison.Ordinal));

        ProcessRun run = await Manifests.ValidateAsync(dir);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(expectedError, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_patch_the_renderer_cannot_apply_is_refused()
    {
        using var temp = new TempDirectory();
        string baseDir = CopyBase(temp);
        string overlay = Directory.CreateDirectory(temp.Sub("overlay")).FullName;
        File.WriteAllText(Path.Combine(overlay, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {baseDir}
            patches:
              - path: patch.yaml
            """);
        File.WriteAllText(Path.Combine(overlay, "patch.yaml"), """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: ostream-broker
            spec:
              template:
                spec:
                  containers:
                    - name: broker
                      $patch: delete
            """);

        ProcessRun run = await Manifests.ValidateAsync(overlay);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("patch directive $patch", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_patch_merges_by_key_and_the_result_is_validated()
    {
        using var temp = new TempDirectory();
        string baseDir = CopyBase(temp);
        string overlay = Directory.CreateDirectory(temp.Sub("overlay")).FullName;
        File.WriteAllText(Path.Combine(overlay, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {baseDir}
            patches:
              - patch: |-
                  apiVersion: apps/v1
                  kind: StatefulSet
                  metadata:
                    name: ostream-broker
                  spec:
                    template:
                      spec:
                        containers:
                          - name: broker
                            ports:
                              - containerPort: 8080
                                name: metrics
                                protocol: HTTP
            """);

        ProcessRun run = await Manifests.ValidateAsync(overlay);

        // The port is merged into the existing 8080 entry (renamed), not appended; its protocol is not a Kubernetes one.
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("/spec/template/spec/containers/0/ports/0/protocol: must be equal to one of the allowed values", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
    }

    /// <summary>
    /// The validator renders what kustomize renders: compared with <c>kubectl kustomize</c> where kubectl is installed
    /// (it is not needed otherwise).
    /// </summary>
    [ToolFact("kubectl")]
    public async Task Rendering_matches_kubectl_kustomize()
    {
        (_, JsonObject dirs) = await Manifests.RenderedAsync();
        using var temp = new TempDirectory();
        foreach (string kustomization in Manifests.Kustomizations)
        {
            ProcessRun kubectl = await Tool.RunAsync(Tool.OnPath("kubectl")!, ["kustomize", kustomization]);
            Assert.True(kubectl.ExitCode == 0, kubectl.ToString());

            // Parsed by the validator itself: a kustomization of kubectl's output, with nothing to transform.
            string dir = Directory.CreateDirectory(temp.Sub(kustomization.Replace('/', '-'))).FullName;
            File.WriteAllText(Path.Combine(dir, "rendered.yaml"), kubectl.Stdout);
            File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rendered.yaml\n");
            JsonArray expected = (await Manifests.RenderAsync(dir))[dir]!.AsArray();
            JsonArray actual = dirs[kustomization]!.AsArray();

            Assert.Equal(Keys(expected), Keys(actual));
            foreach (JsonNode? node in expected)
            {
                JsonNode mine = actual.Single(a => Key(a!) == Key(node!))!;
                Assert.True(JsonNode.DeepEquals(node, mine), $"{kustomization} {Key(node!)}:\nkubectl kustomize: {node}\nvalidate.mjs: {mine}");
            }
        }
    }

    private static string CopyBase(TempDirectory temp)
    {
        string source = Path.Combine(Tool.Infra, "kubernetes", "base");
        string target = Directory.CreateDirectory(temp.Sub("base")).FullName;
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static string Key(JsonNode o) => $"{o["apiVersion"]} {o["kind"]} {o["metadata"]?["namespace"]}/{o["metadata"]?["name"]}";

    private static List<string> Keys(JsonArray objects) => objects.Select(o => Key(o!)).Order(StringComparer.Ordinal).ToList();
}
