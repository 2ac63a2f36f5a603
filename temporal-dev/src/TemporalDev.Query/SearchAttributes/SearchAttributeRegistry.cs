using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Temporalio.Api.Enums.V1;

namespace TemporalDev.Query.SearchAttributes;

/// <summary>A search attribute's name and type, and whether the server owns it.</summary>
public sealed record SearchAttributeDefinition(string Name, IndexedValueType Type, SearchAttributeKind Kind);

/// <summary>Who owns a search attribute.</summary>
public enum SearchAttributeKind
{
    /// <summary>Set by the server from the execution itself (WorkflowId, StartTime…); never by a user.</summary>
    System,

    /// <summary>Predefined by the server; some may be set by users (TemporalScheduledById, BuildIds…).</summary>
    Predefined,

    /// <summary>Registered by an operator (launch flag or OperatorService.AddSearchAttributes).</summary>
    Custom,
}

/// <summary>
/// The search attributes a namespace knows: the real server's built-ins plus custom ones added at launch
/// (<c>--search-attribute Name=Type</c>) or through OperatorService.AddSearchAttributes. Thread-safe.
/// </summary>
public sealed partial class SearchAttributeRegistry
{
    /// <summary>The attribute that holds a schedule id as seen by queries ("ScheduleId" aliases WorkflowId).</summary>
    public const string ScheduleIdAlias = "ScheduleId";

    private static readonly Dictionary<string, IndexedValueType> SystemAttributes = new(StringComparer.Ordinal)
    {
        ["WorkflowId"] = IndexedValueType.Keyword,
        ["RunId"] = IndexedValueType.Keyword,
        ["WorkflowType"] = IndexedValueType.Keyword,
        ["StartTime"] = IndexedValueType.Datetime,
        ["ExecutionTime"] = IndexedValueType.Datetime,
        ["CloseTime"] = IndexedValueType.Datetime,
        ["ExecutionStatus"] = IndexedValueType.Keyword,
        ["TaskQueue"] = IndexedValueType.Keyword,
        ["HistoryLength"] = IndexedValueType.Int,
        ["ExecutionDuration"] = IndexedValueType.Int,
        ["StateTransitionCount"] = IndexedValueType.Int,
        ["HistorySizeBytes"] = IndexedValueType.Int,
        ["ParentWorkflowId"] = IndexedValueType.Keyword,
        ["ParentRunId"] = IndexedValueType.Keyword,
        ["RootWorkflowId"] = IndexedValueType.Keyword,
        ["RootRunId"] = IndexedValueType.Keyword,
    };

    // Predefined attributes a user (or the scheduler acting as one) may set on start or upsert.
    private static readonly Dictionary<string, IndexedValueType> PredefinedSettable = new(StringComparer.Ordinal)
    {
        ["TemporalChangeVersion"] = IndexedValueType.KeywordList,
        ["BinaryChecksums"] = IndexedValueType.KeywordList,
        ["BuildIds"] = IndexedValueType.KeywordList,
        ["BatcherNamespace"] = IndexedValueType.Keyword,
        ["BatcherUser"] = IndexedValueType.Keyword,
        ["TemporalScheduledStartTime"] = IndexedValueType.Datetime,
        ["TemporalScheduledById"] = IndexedValueType.Keyword,
        ["TemporalSchedulePaused"] = IndexedValueType.Bool,
        ["TemporalNamespaceDivision"] = IndexedValueType.Keyword,
        ["TemporalPauseInfo"] = IndexedValueType.KeywordList,
        ["TemporalReportedProblems"] = IndexedValueType.KeywordList,
    };

    private static readonly Dictionary<string, IndexedValueType> PredefinedServerOnly = new(StringComparer.Ordinal)
    {
        ["TemporalWorkerDeploymentVersion"] = IndexedValueType.Keyword,
        ["TemporalWorkflowVersioningBehavior"] = IndexedValueType.Keyword,
        ["TemporalWorkerDeployment"] = IndexedValueType.Keyword,
        ["TemporalUsedWorkerDeploymentVersions"] = IndexedValueType.KeywordList,
        ["TemporalExternalPayloadCount"] = IndexedValueType.Int,
        ["TemporalExternalPayloadSizeBytes"] = IndexedValueType.Int,
    };

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "NamespaceId", "MemoEncoding", "Memo", "VisibilityTaskKey" };

    private readonly ConcurrentDictionary<string, IndexedValueType> custom = new(StringComparer.Ordinal);

    /// <summary>Builds a registry from launch flags of the form "Name=Type".</summary>
    public static SearchAttributeRegistry FromLaunchFlags(IEnumerable<string> flags)
    {
        var registry = new SearchAttributeRegistry();
        foreach (var flag in flags)
        {
            var equals = flag.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new SearchAttributeException($"--search-attribute \"{flag}\": expected Name=Type, e.g. CustomKeywordField=Keyword");
            }
            var typeText = flag[(equals + 1)..];
            if (!SearchAttributeTypes.TryParse(typeText, out var type))
            {
                throw new SearchAttributeException(
                    $"--search-attribute \"{flag}\": unknown type \"{typeText}\"; expected one of Text, Keyword, Int, Double, Bool, Datetime, KeywordList");
            }
            registry.Add(flag[..equals].Trim(), type);
        }
        return registry;
    }

    /// <summary>Gets the custom attributes, for OperatorService.ListSearchAttributes and persistence.</summary>
    public IReadOnlyDictionary<string, IndexedValueType> Custom => new SortedDictionary<string, IndexedValueType>(custom, StringComparer.Ordinal);

    /// <summary>Gets the system attributes, for ListSearchAttributes.</summary>
    public static IReadOnlyDictionary<string, IndexedValueType> System => SystemAttributes;

    /// <summary>Gets every attribute the server predefines, for ListSearchAttributes.</summary>
    public static IReadOnlyDictionary<string, IndexedValueType> Predefined =>
        PredefinedSettable.Concat(PredefinedServerOnly).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Registers a custom attribute; adding the same name with the same type again is a no-op.</summary>
    public void Add(string name, IndexedValueType type)
    {
        if (type is IndexedValueType.Unspecified || !Enum.IsDefined(type))
        {
            throw new SearchAttributeException($"Unknown search attribute type: {type}.");
        }
        if (!ValidName().IsMatch(name))
        {
            throw new SearchAttributeException(
                $"Search attribute name \"{name}\" is invalid: use letters, digits and underscores, starting with a letter.");
        }
        if (SystemAttributes.ContainsKey(name) || PredefinedSettable.ContainsKey(name) || PredefinedServerOnly.ContainsKey(name) || Reserved.Contains(name))
        {
            throw new SearchAttributeException($"Search attribute {name} is reserved by system.");
        }
        var existing = custom.GetOrAdd(name, type);
        if (existing != type)
        {
            throw new SearchAttributeException(
                $"Search attribute {name} already exists with type {SearchAttributeTypes.NameOf(existing)}, cannot add it as {SearchAttributeTypes.NameOf(type)}.");
        }
    }

    /// <summary>Removes a custom attribute (OperatorService.RemoveSearchAttributes).</summary>
    public bool Remove(string name) => custom.TryRemove(name, out _);

    /// <summary>Finds an attribute by its exact name.</summary>
    public SearchAttributeDefinition? Find(string name)
    {
        if (SystemAttributes.TryGetValue(name, out var type))
        {
            return new(name, type, SearchAttributeKind.System);
        }
        if (PredefinedSettable.TryGetValue(name, out type) || PredefinedServerOnly.TryGetValue(name, out type))
        {
            return new(name, type, SearchAttributeKind.Predefined);
        }
        return custom.TryGetValue(name, out type) ? new(name, type, SearchAttributeKind.Custom) : null;
    }

    /// <summary>
    /// Resolves a name as a query does: custom and built-in names first, then "ScheduleId" as WorkflowId,
    /// then the name with the "Temporal" prefix added or removed.
    /// </summary>
    public SearchAttributeDefinition? ResolveForQuery(string alias)
    {
        if (Find(alias) is { } found)
        {
            return found;
        }
        const string prefix = "Temporal";
        var name = alias.StartsWith(prefix, StringComparison.Ordinal) ? alias[prefix.Length..] : prefix + alias;
        if (alias == ScheduleIdAlias || alias == prefix + ScheduleIdAlias)
        {
            name = "WorkflowId";
        }
        return Find(name) is { Kind: not SearchAttributeKind.Custom } builtIn ? builtIn : null;
    }

    /// <summary>True when users may set the attribute on start or upsert (custom and a few predefined ones).</summary>
    public bool IsSettable(string name, out string? error)
    {
        error = null;
        if (SystemAttributes.ContainsKey(name) || PredefinedServerOnly.ContainsKey(name) || Reserved.Contains(name))
        {
            error = $"{name} attribute can't be set in SearchAttributes";
            return false;
        }
        if (PredefinedSettable.ContainsKey(name) || custom.ContainsKey(name))
        {
            return true;
        }
        error = $"search attribute {name} is not defined";
        return false;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex ValidName();
}
