using System.Text.Json.Nodes;

namespace Orleans.Stream.Infra.Tests;

/// <summary>
/// What the rendered manifests mean for the broker silo: the settings it reads (docs/operations.md, the brief of
/// infra/README.md) agree with the ports, probes, volumes, services and disruption budget around it.
/// </summary>
public sealed class KubernetesManifestTests
{
    public static TheoryData<string> Kustomizations => new(Manifests.Kustomizations);

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task The_broker_id_is_the_pod_index_and_the_address_the_pod_ip(string kustomization)
    {
        var pod = new BrokerPod(await Manifests.RenderedAsync(kustomization));

        Assert.Equal("metadata.labels['apps.kubernetes.io/pod-index']", (string?)pod.Env["Broker__Id"].From?["fieldRef"]?["fieldPath"]);
        Assert.Equal("status.podIP", (string?)pod.Env["Orleans__AdvertisedIPAddress"].From?["fieldRef"]?["fieldPath"]);
        Assert.False(string.IsNullOrEmpty(pod.Literal("Orleans__ClusterId")));
        Assert.False(string.IsNullOrEmpty(pod.Literal("Orleans__ServiceId")));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task The_ports_the_silo_is_told_are_the_container_ports_and_the_services_ports(string kustomization)
    {
        RenderedSet rendered = await Manifests.RenderedAsync(kustomization);
        var pod = new BrokerPod(rendered);

        Assert.Equal(11111, pod.LiteralPort("Orleans__SiloPort"));
        Assert.Equal(30000, pod.LiteralPort("Orleans__GatewayPort"));
        Assert.Equal(8080, pod.LiteralPort("Broker__HttpPort"));
        Assert.Equal(pod.LiteralPort("Orleans__SiloPort"), pod.NamedPort("silo"));
        Assert.Equal(pod.LiteralPort("Orleans__GatewayPort"), pod.NamedPort("gateway"));
        Assert.Equal(pod.LiteralPort("Broker__HttpPort"), pod.NamedPort("http"));
        Assert.Equal(pod.LiteralPort("Kafka__Port"), pod.NamedPort("kafka"));

        JsonObject gateway = rendered.Single("Service", "ostream-gateway");
        JsonNode gatewayPort = gateway["spec"]!["ports"]!.AsArray().Single()!;
        Assert.Equal(30000, (int)gatewayPort["port"]!);
        Assert.Equal(pod.LiteralPort("Orleans__GatewayPort"), pod.ContainerPort(gatewayPort["targetPort"]!));

        foreach (JsonObject service in rendered.OfKind("Service").Where(s => Selects(s, pod.Labels)))
        {
            foreach (JsonNode? port in service["spec"]!["ports"]!.AsArray())
            {
                int target = pod.ContainerPort(port!["targetPort"] ?? port["port"]!);
                Assert.Equal((int)port["port"]!, target);
            }
        }

        JsonObject annotations = pod.Template["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("true", (string?)annotations["prometheus.io/scrape"]);
        Assert.Equal(pod.LiteralPort("Broker__HttpPort").ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)annotations["prometheus.io/port"]);
        Assert.Equal("/metrics", (string?)annotations["prometheus.io/path"]);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Probes_ask_alive_and_ready_on_the_http_port(string kustomization)
    {
        var pod = new BrokerPod(await Manifests.RenderedAsync(kustomization));

        foreach ((string probe, string path) in new[] { ("startupProbe", "/alive"), ("livenessProbe", "/alive"), ("readinessProbe", "/ready") })
        {
            JsonNode httpGet = pod.Container[probe]?["httpGet"] ?? throw new Xunit.Sdk.XunitException($"no {probe}.httpGet");
            Assert.Equal(path, (string?)httpGet["path"]);
            Assert.Equal(pod.LiteralPort("Broker__HttpPort"), pod.ContainerPort(httpGet["port"]!));
        }

        // Log recovery may take minutes: the startup probe allows them before liveness counts.
        JsonNode startup = pod.Container["startupProbe"]!;
        Assert.True((int)startup["periodSeconds"]! * (int)startup["failureThreshold"]! >= 300);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Each_broker_keeps_its_logs_on_its_own_volume_at_the_data_dir(string kustomization)
    {
        var pod = new BrokerPod(await Manifests.RenderedAsync(kustomization));

        JsonNode claim = pod.Spec["volumeClaimTemplates"]!.AsArray().Single()!;
        string claimName = (string)claim["metadata"]!["name"]!;
        JsonNode mount = pod.Container["volumeMounts"]!.AsArray().Single(m => (string?)m!["name"] == claimName)!;
        Assert.Equal(pod.Literal("Broker__DataDir"), (string?)mount["mountPath"]);
        Assert.Equal(["ReadWriteOnce"], claim["spec"]!["accessModes"]!.AsArray().Select(m => (string)m!));
        Assert.DoesNotContain(pod.PodSpec["volumes"]?.AsArray() ?? [], v => (string?)v!["name"] == claimName);
        Assert.Equal("Retain", (string?)pod.Spec["persistentVolumeClaimRetentionPolicy"]?["whenScaled"]);
        Assert.Equal("Retain", (string?)pod.Spec["persistentVolumeClaimRetentionPolicy"]?["whenDeleted"]);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task The_services_and_the_disruption_budget_select_the_broker_pods(string kustomization)
    {
        RenderedSet rendered = await Manifests.RenderedAsync(kustomization);
        var pod = new BrokerPod(rendered);
        IReadOnlyDictionary<string, string> selector = Labels(pod.Spec["selector"]!["matchLabels"]!);

        Assert.True(Subset(selector, pod.Labels), "the StatefulSet's selector does not match its pods");

        JsonObject headless = rendered.Single("Service", (string)pod.Spec["serviceName"]!);
        Assert.Equal("None", (string?)headless["spec"]!["clusterIP"]);
        Assert.True((bool?)headless["spec"]!["publishNotReadyAddresses"]);
        Assert.True(Selects(headless, pod.Labels));
        Assert.True(Selects(rendered.Single("Service", "ostream-gateway"), pod.Labels));

        JsonObject budget = rendered.OfKind("PodDisruptionBudget").Single();
        Assert.Equal(selector, Labels(budget["spec"]!["selector"]!["matchLabels"]!));
        Assert.Equal(1, (int)budget["spec"]!["maxUnavailable"]!);
        Assert.Null(budget["spec"]!["minAvailable"]);

        // Every broker on its own node: one lost node costs one replica of a partition.
        JsonNode spread = pod.PodSpec["topologySpreadConstraints"]!.AsArray().Single(c => (string?)c!["topologyKey"] == "kubernetes.io/hostname")!;
        Assert.Equal("DoNotSchedule", (string?)spread["whenUnsatisfiable"]);
        Assert.Equal(selector, Labels(spread["labelSelector"]!["matchLabels"]!));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task The_statefulset_rolls_one_broker_at_a_time_and_lets_it_leave_gracefully(string kustomization)
    {
        var pod = new BrokerPod(await Manifests.RenderedAsync(kustomization));

        Assert.Equal(3, (int)pod.Spec["replicas"]!);
        Assert.Equal("Parallel", (string?)pod.Spec["podManagementPolicy"]);
        Assert.Equal("RollingUpdate", (string?)pod.Spec["updateStrategy"]!["type"]);
        Assert.Null(pod.Spec["updateStrategy"]!["rollingUpdate"]?["maxUnavailable"]);
        Assert.True((int)pod.PodSpec["terminationGracePeriodSeconds"]! >= 60);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task The_broker_runs_as_the_dotnet_app_user_on_a_read_only_root(string kustomization)
    {
        RenderedSet rendered = await Manifests.RenderedAsync(kustomization);
        var pod = new BrokerPod(rendered);

        JsonNode podSecurity = pod.PodSpec["securityContext"]!;
        Assert.True((bool?)podSecurity["runAsNonRoot"]);
        Assert.Equal(1654, (int)podSecurity["runAsUser"]!);
        Assert.Equal(1654, (int)podSecurity["fsGroup"]!);
        JsonNode security = pod.Container["securityContext"]!;
        Assert.True((bool?)security["readOnlyRootFilesystem"]);
        Assert.False((bool?)security["allowPrivilegeEscalation"]);
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));

        JsonNode tmp = pod.Container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/tmp")!;
        Assert.NotNull(pod.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)tmp["name"])!["emptyDir"]);

        Assert.NotNull(rendered.Find("ServiceAccount", (string)pod.PodSpec["serviceAccountName"]!));
        Assert.All(rendered.Objects.Where(o => (string?)o["kind"] != "Namespace"), o => Assert.Equal("orleans-stream", (string?)o["metadata"]!["namespace"]));
        Assert.Equal("orleans-stream", (string?)rendered.OfKind("Namespace").Single()["metadata"]!["name"]);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Every_config_map_and_secret_the_pods_read_is_rendered(string kustomization)
    {
        RenderedSet rendered = await Manifests.RenderedAsync(kustomization);

        foreach (JsonObject workload in rendered.Objects.Where(o => o["spec"]?["template"]?["spec"] is not null))
        {
            foreach (JsonNode? container in workload["spec"]!["template"]!["spec"]!["containers"]!.AsArray())
            {
                foreach (JsonNode? variable in container!["env"]?.AsArray() ?? [])
                {
                    if (variable!["valueFrom"]?["configMapKeyRef"] is { } configMapKey)
                    {
                        JsonObject configMap = rendered.Single("ConfigMap", (string)configMapKey["name"]!);
                        Assert.True(configMap["data"]?[(string)configMapKey["key"]!] is not null, $"{variable["name"]}: ConfigMap {configMapKey["name"]} has no {configMapKey["key"]}");
                    }

                    if (variable["valueFrom"]?["secretKeyRef"] is { } secretKey)
                    {
                        JsonObject secret = rendered.Single("Secret", (string)secretKey["name"]!);
                        Assert.True((secret["stringData"] ?? secret["data"])?[(string)secretKey["key"]!] is not null, $"{variable["name"]}: Secret {secretKey["name"]} has no {secretKey["key"]}");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task The_base_names_the_broker_image_and_leaves_storage_to_the_overlays()
    {
        var pod = new BrokerPod(await Manifests.RenderedAsync(Manifests.Base));

        Assert.Equal("orleans-stream/broker:1.0.0", (string?)pod.Container["image"]);
        Assert.DoesNotContain(pod.Env.Keys, key => key.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_local_overlay_connects_the_brokers_to_its_azurite()
    {
        RenderedSet rendered = await Manifests.RenderedAsync(Manifests.Local);
        var pod = new BrokerPod(rendered);

        JsonNode secretKey = pod.Env["ConnectionStrings__storage"].From!["secretKeyRef"]!;
        string connection = (string)rendered.Single("Secret", (string)secretKey["name"]!)["stringData"]![(string)secretKey["key"]!]!;
        Dictionary<string, string> parts = connection.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        JsonObject azurite = rendered.Single("Service", "azurite");
        var blob = new Uri(parts["BlobEndpoint"]);
        var table = new Uri(parts["TableEndpoint"]);
        Assert.Equal("azurite", blob.Host);
        Assert.Equal("azurite", table.Host);
        Assert.Equal("/devstoreaccount1", blob.AbsolutePath);
        Assert.Equal(parts["AccountName"], table.AbsolutePath.TrimStart('/'));
        JsonArray servicePorts = azurite["spec"]!["ports"]!.AsArray();
        Assert.Contains(servicePorts, p => (int)p!["port"]! == blob.Port && (string?)p["targetPort"] == "blob");
        Assert.Contains(servicePorts, p => (int)p!["port"]! == table.Port && (string?)p["targetPort"] == "table");

        JsonObject deployment = rendered.Single("Deployment", "azurite");
        Assert.True(Selects(azurite, Labels(deployment["spec"]!["template"]!["metadata"]!["labels"]!)));
        JsonNode container = deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;
        Assert.StartsWith("mcr.microsoft.com/azure-storage/azurite:", (string?)container["image"], StringComparison.Ordinal);
        string[] args = container["args"]!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Contains("--loose", args);
        Assert.Contains("--skipApiVersionCheck", args);
        Assert.Equal(10000, (int)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "blob")!["containerPort"]!);
        Assert.Equal(10002, (int)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "table")!["containerPort"]!);

        // Smaller than the base, which asks for a whole core and 2 GiB per broker.
        Assert.Equal("250m", (string?)pod.Container["resources"]!["requests"]!["cpu"]);
    }

    [Fact]
    public async Task The_azure_overlay_signs_in_with_workload_identity()
    {
        RenderedSet rendered = await Manifests.RenderedAsync(Manifests.Azure);
        var pod = new BrokerPod(rendered);
        JsonObject parameters = rendered.Single("ConfigMap", "ostream-azure")["data"]!.AsObject();

        JsonObject account = rendered.Single("ServiceAccount", (string)pod.PodSpec["serviceAccountName"]!);
        string clientId = (string)account["metadata"]!["annotations"]!["azure.workload.identity/client-id"]!;
        Assert.True(Guid.TryParse(clientId, out _), clientId);
        Assert.Equal((string?)parameters["AZURE_CLIENT_ID"], clientId);
        Assert.Equal("true", pod.Labels["azure.workload.identity/use"]);
        Assert.Equal((string?)parameters["BROKER_IMAGE"], (string?)pod.Container["image"]);

        foreach ((string variable, string service) in new[] { ("ConnectionStrings__clustering", "table"), ("ConnectionStrings__blobs", "blob") })
        {
            JsonNode key = pod.Env[variable].From!["configMapKeyRef"]!;
            Assert.Equal("ostream-azure", (string?)key["name"]);
            string endpoint = (string)parameters[(string)key["key"]!]!;

            // The silo signs in with DefaultAzureCredential for an https URL without ';' (BrokerSiloSettings.IsEndpoint).
            Assert.True(Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps && !endpoint.Contains(';', StringComparison.Ordinal), endpoint);
            Assert.EndsWith($".{service}.core.windows.net", uri.Host, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("ConnectionStrings__storage", pod.Env.Keys);
        Assert.Equal("managed-csi-premium", (string?)pod.Spec["volumeClaimTemplates"]![0]!["spec"]!["storageClassName"]);
    }

    private static Dictionary<string, string> Labels(JsonNode labels) => labels.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!);

    private static bool Subset(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out string? value) && value == s.Value);

    private static bool Selects(JsonObject service, IReadOnlyDictionary<string, string> labels) =>
        service["spec"]?["selector"] is { } selector && Subset(Labels(selector), labels);
}
