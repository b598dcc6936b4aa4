using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>infra/azure compiles with the bicep compiler, and deploys what the azure overlay expects to find.</summary>
public sealed class BicepTests
{
    // Built-in Azure role definitions.
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

    [Fact]
    public async Task The_template_compiles_without_warnings()
    {
        (ProcessRun run, JsonObject? template) = await Bicep.MainTemplateAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Stderr.Trim().Length == 0, $"bicep warned:\n{run.Stderr}");
        Assert.Equal(
            [
                "Microsoft.Authorization/roleAssignments",
                "Microsoft.ContainerRegistry/registries",
                "Microsoft.ContainerService/managedClusters",
                "Microsoft.ManagedIdentity/userAssignedIdentities",
                "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
                "Microsoft.Storage/storageAccounts",
                "Microsoft.Storage/storageAccounts/blobServices",
                "Microsoft.Storage/storageAccounts/blobServices/containers",
            ],
            Resources(template!).Select(r => (string)r["type"]!).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_parameters_file_compiles_without_warnings_and_keeps_the_kubernetes_names()
    {
        (ProcessRun run, JsonObject? output) = await Bicep.BuildAsync("build-params", "main.bicepparam");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Stderr.Trim().Length == 0, $"bicep warned:\n{run.Stderr}");
        JsonObject parameters = JsonNode.Parse((string)output!["parametersJson"]!)!["parameters"]!.AsObject();
        Assert.False(parameters.ContainsKey("kubernetesNamespace"), "the namespace is set in infra/kubernetes, not here");
        Assert.False(parameters.ContainsKey("serviceAccountName"), "the service account is set in infra/kubernetes, not here");
    }

    [Fact]
    public async Task The_storage_account_takes_only_signed_in_tls12_requests_and_has_the_broker_containers()
    {
        JsonObject template = await TemplateAsync();

        JsonObject storage = Resources(template).Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts");
        Assert.Equal("StorageV2", (string?)storage["kind"]);
        JsonNode properties = storage["properties"]!;
        Assert.Equal("TLS1_2", (string?)properties["minimumTlsVersion"]);
        Assert.False((bool?)properties["allowBlobPublicAccess"]);
        Assert.False((bool?)properties["allowSharedKeyAccess"]);
        Assert.True((bool?)properties["supportsHttpsTrafficOnly"]);

        JsonObject containers = Resources(template).Single(r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers");
        string loop = containers["copy"]!["count"]!.ToString();
        Assert.Contains("'ostream-state'", loop, StringComparison.Ordinal);
        Assert.Contains("'ostream-tiered'", loop, StringComparison.Ordinal);
        Assert.Equal("None", (string?)containers["properties"]!["publicAccess"]);
    }

    [Fact]
    public async Task The_cluster_issues_tokens_for_workload_identity()
    {
        JsonObject template = await TemplateAsync();

        JsonNode cluster = Resources(template).Single(r => (string?)r["type"] == "Microsoft.ContainerService/managedClusters")["properties"]!;
        Assert.True((bool?)cluster["oidcIssuerProfile"]!["enabled"]);
        Assert.True((bool?)cluster["securityProfile"]!["workloadIdentity"]!["enabled"]);
    }

    [Fact]
    public async Task The_federated_credential_names_the_service_account_of_the_azure_overlay()
    {
        JsonObject template = await TemplateAsync();
        RenderedSet rendered = await Manifests.RenderedAsync(Manifests.Azure);
        var pod = new BrokerPod(rendered);
        JsonObject account = rendered.Single("ServiceAccount", (string)pod.PodSpec["serviceAccountName"]!);

        JsonObject parameters = template["parameters"]!.AsObject();
        Assert.Equal((string?)account["metadata"]!["namespace"], (string?)parameters["kubernetesNamespace"]!["defaultValue"]);
        Assert.Equal((string?)account["metadata"]!["name"], (string?)parameters["serviceAccountName"]!["defaultValue"]);
        Assert.Equal(
            "[format('system:serviceaccount:{0}:{1}', parameters('kubernetesNamespace'), parameters('serviceAccountName'))]",
            (string?)template["variables"]!["serviceAccountSubject"]);

        JsonObject credential = Resources(template).Single(r => (string?)r["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials");
        Assert.Equal("[variables('serviceAccountSubject')]", (string?)credential["properties"]!["subject"]);
        Assert.Equal("[reference('cluster').oidcIssuerProfile.issuerURL]", (string?)credential["properties"]!["issuer"]);
        Assert.Equal(["api://AzureADTokenExchange"], credential["properties"]!["audiences"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task The_broker_identity_may_use_blobs_and_tables_and_the_nodes_may_pull_images()
    {
        JsonObject template = await TemplateAsync();
        List<JsonObject> assignments = Resources(template).Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments").ToList();

        JsonObject storageRoles = assignments.Single(a => a["copy"] is not null);
        string roles = WithVariables(template, storageRoles["copy"]!["count"]!.ToString());
        Assert.Contains(StorageBlobDataContributor, roles, StringComparison.Ordinal);
        Assert.Contains(StorageTableDataContributor, roles, StringComparison.Ordinal);
        Assert.Equal("[reference('brokerIdentity').principalId]", (string?)storageRoles["properties"]!["principalId"]);
        Assert.Contains("Microsoft.Storage/storageAccounts", (string?)storageRoles["scope"], StringComparison.Ordinal);

        JsonObject pull = assignments.Single(a => a["copy"] is null);
        Assert.Contains(AcrPull, WithVariables(template, (string)pull["properties"]!["roleDefinitionId"]!), StringComparison.Ordinal);
        Assert.Equal("[reference('cluster').identityProfile.kubeletidentity.objectId]", (string?)pull["properties"]!["principalId"]);
        Assert.Contains("Microsoft.ContainerRegistry/registries", (string?)pull["scope"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_deployment_outputs_every_setting_of_the_azure_overlay()
    {
        JsonObject template = await TemplateAsync();
        string[] keys = File.ReadAllLines(Path.Combine(Tool.Infra, "kubernetes", "overlays", "azure", "params.env"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2)[0])
            .ToArray();

        string output = (string)template["outputs"]!["kustomizeParams"]!["value"]!;
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.Contains($"format('{key}={{0}}", output, StringComparison.Ordinal));
        Assert.Equal(keys.Length, output.Split("format('", StringSplitOptions.None).Length - 1);
    }

    private static async Task<JsonObject> TemplateAsync()
    {
        (ProcessRun run, JsonObject? template) = await Bicep.MainTemplateAsync();
        return template ?? throw new Xunit.Sdk.XunitException($"main.bicep does not compile: {run}");
    }

    /// <summary>An ARM expression with each <c>variables('name')</c> that is a plain string replaced by its value.</summary>
    private static string WithVariables(JsonObject template, string expression) =>
        System.Text.RegularExpressions.Regex.Replace(expression, @"variables\('(\w+)'\)", match =>
            template["variables"]?[match.Groups[1].Value] is JsonValue value && value.TryGetValue(out string? text) && !text.StartsWith('[') ? $"'{text}'" : match.Value);

    /// <summary>The template's resources (language version 2.0 keys them by symbolic name).</summary>
    private static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonObject byName => byName.Select(r => r.Value!.AsObject()),
        JsonArray list => list.Select(r => r!.AsObject()),
        _ => [],
    };
}
