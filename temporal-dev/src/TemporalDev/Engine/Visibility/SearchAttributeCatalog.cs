using Temporalio.Api.Enums.V1;
using TemporalDev.Query.SearchAttributes;

namespace TemporalDev.Engine.Visibility;

/// <summary>One custom search attribute of a namespace: its name, type and the pre-allocated column it occupies.</summary>
public sealed record CustomSearchAttribute(string Namespace, string Name, IndexedValueType Type, string Field);

/// <summary>
/// The search attributes of every namespace, as the real server's SQL visibility keeps them: a custom attribute is an
/// alias for one of a fixed number of pre-allocated columns per type (Keyword01…Keyword10, Int01…Int03…), so a
/// namespace holds at most that many of each type. <see cref="Export"/> and <see cref="Import"/> give the whole state
/// as a flat list for persistence. Not thread-safe: the engine's gate guards it.
/// </summary>
public sealed class SearchAttributeCatalog
{
    // The SQLite/PostgreSQL visibility schema's pre-allocated custom columns per type.
    private static readonly Dictionary<IndexedValueType, int> Columns = new()
    {
        [IndexedValueType.Bool] = 3,
        [IndexedValueType.Datetime] = 3,
        [IndexedValueType.Double] = 3,
        [IndexedValueType.Int] = 3,
        [IndexedValueType.Keyword] = 10,
        [IndexedValueType.Text] = 3,
        [IndexedValueType.KeywordList] = 3,
    };

    private readonly Dictionary<string, SearchAttributeRegistry> registries = new(StringComparer.Ordinal);
    private readonly List<CustomSearchAttribute> custom = [];

    /// <summary>Gets the registry of a namespace, creating an empty one (built-ins only) on first use.</summary>
    public SearchAttributeRegistry Registry(string ns)
    {
        if (!registries.TryGetValue(ns, out var registry)) registries[ns] = registry = new SearchAttributeRegistry();
        return registry;
    }

    /// <summary>
    /// Adds custom attributes as OperatorService.AddSearchAttributes does on SQL visibility: reserved names and
    /// unknown types are refused, a name already registered is left as it is, and a type whose columns are all taken
    /// is refused. Nothing is added unless every attribute can be.
    /// </summary>
    public void Add(string ns, IReadOnlyDictionary<string, IndexedValueType> attributes)
    {
        if (attributes.Count == 0) throw new SearchAttributeException("SearchAttributes are not set on request.");
        var registry = Registry(ns);
        foreach (var (name, type) in attributes)
        {
            if (registry.Find(name) is { Kind: not SearchAttributeKind.Custom } || name.StartsWith("Temporal", StringComparison.Ordinal))
            {
                throw new SearchAttributeException($"Search attribute {name} is reserved by system.");
            }

            if (type is IndexedValueType.Unspecified || !Enum.IsDefined(type))
            {
                throw new SearchAttributeException($"Unknown search attribute type: {(int)type}.");
            }

            // A scratch registry applies the name rules (letters, digits, underscores; reserved names) before anything changes.
            if (registry.Find(name) is null) new SearchAttributeRegistry().Add(name, type);
        }

        var planned = new List<CustomSearchAttribute>();
        foreach (var (name, type) in attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (registry.Find(name) is not null) continue;
            var used = custom.Where(c => c.Namespace == ns && c.Type == type).Select(c => c.Field)
                .Concat(planned.Where(p => p.Type == type).Select(p => p.Field))
                .ToHashSet(StringComparer.Ordinal);
            var field = Enumerable.Range(1, Columns[type]).Select(i => $"{SearchAttributeTypes.NameOf(type)}{i:D2}").FirstOrDefault(f => !used.Contains(f))
                ?? throw new SearchAttributeException(
                    $"Unable to create search attributes: cannot have more than {Columns[type]} search attribute of type {SearchAttributeTypes.NameOf(type)}.");
            planned.Add(new CustomSearchAttribute(ns, name, type, field));
        }

        foreach (var attribute in planned)
        {
            registry.Add(attribute.Name, attribute.Type);
            custom.Add(attribute);
        }
    }

    /// <summary>
    /// Removes custom attributes as OperatorService.RemoveSearchAttributes does on SQL visibility: a built-in name is
    /// refused, an unknown name is skipped.
    /// </summary>
    public void Remove(string ns, IReadOnlyList<string> names)
    {
        if (names.Count == 0) throw new SearchAttributeException("SearchAttributes are not set on request.");
        var registry = Registry(ns);
        foreach (var name in names)
        {
            if (registry.Find(name) is { Kind: not SearchAttributeKind.Custom }) throw new SearchAttributeException($"Unable to remove non-custom search attributes: {name}.");
        }

        foreach (var name in names)
        {
            if (registry.Remove(name)) custom.RemoveAll(c => c.Namespace == ns && c.Name == name);
        }
    }

    /// <summary>Gets the namespace's column → alias map (DescribeNamespace's <c>custom_search_attribute_aliases</c>).</summary>
    public IReadOnlyDictionary<string, string> Aliases(string ns) =>
        custom.Where(c => c.Namespace == ns).ToDictionary(c => c.Field, c => c.Name, StringComparer.Ordinal);

    /// <summary>Gets every custom attribute of every namespace, in the order they were added.</summary>
    public IReadOnlyList<CustomSearchAttribute> Export() => [.. custom];

    /// <summary>Restores exported attributes (on top of whatever the launch flags registered).</summary>
    public void Import(IEnumerable<CustomSearchAttribute> attributes)
    {
        foreach (var attribute in attributes)
        {
            var registry = Registry(attribute.Namespace);
            if (registry.Find(attribute.Name) is not null) continue;
            registry.Add(attribute.Name, attribute.Type);
            custom.Add(attribute);
        }
    }
}
