namespace Orleans.Stream.ServiceDefaults;

/// <summary>The tags that put a health check behind an endpoint (see <see cref="ServiceDefaultsExtensions.MapDefaultEndpoints"/>).</summary>
public static class HealthTags
{
    /// <summary>Checked by <c>/alive</c>: failing means the process should be restarted.</summary>
    public const string Live = "live";

    /// <summary>Checked by <c>/ready</c>: failing means "don't count on this one yet" (not serving, or not back in sync).</summary>
    public const string Ready = "ready";
}
