namespace Lifecycle.Activities.Providers;

/// <summary>The configured providers, found by name; every definition is checked when the catalog is built.</summary>
public sealed class ProviderCatalog
{
    private readonly Dictionary<string, IProvider> providers;

    /// <summary>Builds one <see cref="ExternalProvider"/> per definition; throws with every problem listed when any is invalid.</summary>
    public ProviderCatalog(IEnumerable<ProviderDefinition> definitions, string controllerId)
    {
        var all = definitions.ToList();
        var problems = all.SelectMany(d => d.Validate()).ToList();
        problems.AddRange(all.GroupBy(d => d.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"provider \"{g.Key}\" is configured {g.Count()} times"));
        if (problems.Count > 0)
            throw new ArgumentException("invalid provider configuration: " + string.Join("; ", problems), nameof(definitions));
        providers = all.ToDictionary(d => d.Name, d => (IProvider)new ExternalProvider(d, controllerId), StringComparer.Ordinal);
    }

    /// <summary>
    /// A catalog from configuration keyed by provider name (the key wins over any <see cref="ProviderDefinition.Name"/>),
    /// plus the built-in <c>process</c> provider when <paramref name="builtInProcess"/> is given and no provider of that
    /// name is configured: it is the embedded default.
    /// </summary>
    public static ProviderCatalog FromConfiguration(IReadOnlyDictionary<string, ProviderDefinition> configured, string controllerId, ProviderDefinition? builtInProcess = null)
    {
        var definitions = configured.Select(pair => pair.Value with { Name = pair.Key }).ToList();
        if (builtInProcess is not null && !configured.ContainsKey(builtInProcess.Name))
            definitions.Add(builtInProcess);
        return new ProviderCatalog(definitions, controllerId);
    }

    /// <summary>The configured names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. providers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The provider called <paramref name="name"/>; a clear error naming the configured ones when there is none.</summary>
    public IProvider Get(string name) =>
        providers.TryGetValue(name, out var provider)
            ? provider
            : throw new KeyNotFoundException($"provider \"{name}\" is not configured (configured: {(providers.Count == 0 ? "none" : string.Join(", ", Names))})");
}
