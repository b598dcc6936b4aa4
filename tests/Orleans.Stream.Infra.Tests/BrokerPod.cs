using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>The broker StatefulSet of a rendered kustomization, with what its container's environment resolves to.</summary>
internal sealed class BrokerPod
{
    public BrokerPod(RenderedSet rendered)
    {
        Rendered = rendered;
        StatefulSet = rendered.Single("StatefulSet", "ostream-broker");
        Spec = StatefulSet["spec"]!.AsObject();
        Template = Spec["template"]!.AsObject();
        PodSpec = Template["spec"]!.AsObject();
        Container = PodSpec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "broker")!.AsObject();
        Labels = Template["metadata"]!["labels"]!.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!);

        // envFrom first, then env (which wins), as the kubelet builds the environment.
        foreach (JsonNode? source in Container["envFrom"]?.AsArray() ?? [])
        {
            string name = (string)source!["configMapRef"]!["name"]!;
            JsonObject configMap = rendered.Find("ConfigMap", name) ?? throw new Xunit.Sdk.XunitException($"envFrom names ConfigMap {name}, which is not rendered");
            foreach ((string key, JsonNode? value) in configMap["data"]!.AsObject())
            {
                Env[key] = new EnvValue((string?)value, null);
            }
        }

        foreach (JsonNode? variable in Container["env"]?.AsArray() ?? [])
        {
            Env[(string)variable!["name"]!] = new EnvValue((string?)variable["value"], variable["valueFrom"]?.AsObject());
        }
    }

    public RenderedSet Rendered { get; }

    public JsonObject StatefulSet { get; }

    public JsonObject Spec { get; }

    public JsonObject Template { get; }

    public JsonObject PodSpec { get; }

    public JsonObject Container { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public Dictionary<string, EnvValue> Env { get; } = new(StringComparer.Ordinal);

    /// <summary>A literal environment variable's value (from env or a ConfigMap).</summary>
    public string Literal(string name)
    {
        Assert.True(Env.TryGetValue(name, out EnvValue? value), $"{name} is not in the broker's environment");
        return value.Value ?? throw new Xunit.Sdk.XunitException($"{name} is not a literal: {value.From}");
    }

    public int LiteralPort(string name) => int.Parse(Literal(name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The container port a probe or Service names (by name or number).</summary>
    public int ContainerPort(JsonNode port)
    {
        JsonArray ports = Container["ports"]!.AsArray();
        JsonNode? match = port.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? ports.SingleOrDefault(p => (int)p!["containerPort"]! == (int)port)
            : ports.SingleOrDefault(p => (string?)p!["name"] == (string)port!);
        return match is null ? throw new Xunit.Sdk.XunitException($"the broker container has no port {port}") : (int)match["containerPort"]!;
    }

    public int NamedPort(string name) => ContainerPort(JsonValue.Create(name));
}

/// <summary>An environment variable: a literal value or where it comes from.</summary>
internal sealed record EnvValue(string? Value, JsonObject? From);
