using Temporalio.Api.Enums.V1;
using TemporalDev.Query.Evaluation;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;

namespace TemporalDev.Engine.Visibility;

/// <summary>One page of a list: the records in query order and whether more follow.</summary>
public sealed record VisibilityPage(IReadOnlyList<VisibilityRecord> Records, bool More);

/// <summary>
/// The visibility records of one namespace and an index from (keyword attribute, value) to records, so a query that
/// pins a keyword (<c>CustomKeywordField = 'x'</c>, <c>WorkflowType IN (…)</c>, <c>ExecutionStatus = 'Running'</c>)
/// reads only the records filed under it instead of scanning every run. Not thread-safe: the engine's gate guards it.
/// </summary>
public sealed class NamespaceVisibility
{
    private readonly Dictionary<string, VisibilityRecord> records = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Attribute, string Value), HashSet<VisibilityRecord>> keywords = [];

    public VisibilityRecord? Find(string runId) => records.GetValueOrDefault(runId);

    /// <summary>Adds a record, or files an existing one again after its status or attributes changed.</summary>
    public void Put(VisibilityRecord record)
    {
        records[record.Run.RunId] = record;
        foreach (var key in record.IndexedUnder)
        {
            if (keywords.TryGetValue(key, out var set) && set.Remove(record) && set.Count == 0) keywords.Remove(key);
        }

        record.IndexedUnder.Clear();
        foreach (var key in record.IndexKeys())
        {
            if (!keywords.TryGetValue(key, out var set)) keywords[key] = set = [];
            set.Add(record);
            record.IndexedUnder.Add(key);
        }
    }

    /// <summary>Lists the records matching a query after the token's position, in query order.</summary>
    public VisibilityPage List(VisibilityQuery query, SearchAttributeRegistry registry, int pageSize, IVisibilityRecord? after, Func<IVisibilityRecord, bool>? also = null)
    {
        if (query.OrderBy.Count == 0) return ListInDefaultOrder(query, registry, pageSize, after, also);
        var matches = new List<VisibilityRecord>();
        foreach (var record in Candidates(query, registry))
        {
            if (query.Matches(record) && (also is null || also(record)) && (after is null || query.Compare(record, after) > 0)) matches.Add(record);
        }

        var more = matches.Count > pageSize;
        var page = more ? Smallest(matches, pageSize, query.Compare) : matches;
        page.Sort(query.Compare);
        return new VisibilityPage(page, more);
    }

    // Without ORDER BY, records are compared by keys computed once each instead of values read through the record.
    private VisibilityPage ListInDefaultOrder(VisibilityQuery query, SearchAttributeRegistry registry, int pageSize, IVisibilityRecord? after, Func<IVisibilityRecord, bool>? also)
    {
        var cursor = after is null ? (DefaultOrderKey?)null : DefaultOrderKey.Of(after);
        var heap = new PriorityQueue<VisibilityRecord, DefaultOrderKey>(pageSize + 1, Comparer<DefaultOrderKey>.Create((x, y) => y.CompareTo(x)));
        var more = false;
        foreach (var record in Candidates(query, registry))
        {
            if (!query.Matches(record) || (also is not null && !also(record))) continue;
            var key = DefaultOrderKey.Of(record);
            if (cursor is { } c && key.CompareTo(c) <= 0) continue;
            heap.Enqueue(record, key);
            if (heap.Count > pageSize)
            {
                heap.Dequeue();
                more = true;
            }
        }

        var page = new List<VisibilityRecord>(heap.Count);
        while (heap.Count > 0) page.Add(heap.Dequeue());
        page.Reverse();
        return new VisibilityPage(page, more);
    }

    /// <summary>Counts the records matching a query, per ExecutionStatus when it groups by it.</summary>
    public (long Total, IReadOnlyList<(string Group, long Count)> Groups) Count(VisibilityQuery query, SearchAttributeRegistry registry)
    {
        long total = 0;
        var groups = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var record in Candidates(query, registry))
        {
            if (!query.Matches(record)) continue;
            total++;
            if (query.GroupKey(record) is { } key) groups[key] = groups.GetValueOrDefault(key) + 1;
        }

        return (total, groups.OrderByDescending(g => g.Value).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Value)).ToList());
    }

    private IEnumerable<VisibilityRecord> Candidates(VisibilityQuery query, SearchAttributeRegistry registry) =>
        query.Syntax.Where is { } where && Indexed(where, registry) is { } narrowed ? narrowed : records.Values;

    /// <summary>
    /// The records an expression can only match among, from the keyword index; null when the index cannot narrow it.
    /// A superset is fine: the compiled predicate still filters every candidate.
    /// </summary>
    private IReadOnlyCollection<VisibilityRecord>? Indexed(QueryExpression expression, SearchAttributeRegistry registry)
    {
        switch (expression)
        {
            case AndExpression and:
                var left = Indexed(and.Left, registry);
                var right = Indexed(and.Right, registry);
                return left is null ? right : right is null || left.Count <= right.Count ? left : right;
            case OrExpression or:
                if (Indexed(or.Left, registry) is not { } a || Indexed(or.Right, registry) is not { } b) return null;
                var union = new HashSet<VisibilityRecord>(a);
                union.UnionWith(b);
                return union;
            case ComparisonExpression { Operator: "=" or "in", RightColumn: null } comparison:
                if (registry.ResolveForQuery(comparison.Column.Name) is not { } attribute
                    || attribute.Type is not (IndexedValueType.Keyword or IndexedValueType.KeywordList)
                    || (attribute.Kind == SearchAttributeKind.System && !VisibilityRecord.IndexedBuiltIns.Contains(attribute.Name)))
                {
                    return null;
                }

                if (comparison.Values.Count == 1)
                {
                    return keywords.GetValueOrDefault((attribute.Name, Keyword(comparison.Values[0], attribute, comparison.Column.Name))) ?? [];
                }

                var any = new HashSet<VisibilityRecord>();
                foreach (var literal in comparison.Values)
                {
                    if (keywords.TryGetValue((attribute.Name, Keyword(literal, attribute, comparison.Column.Name)), out var set)) any.UnionWith(set);
                }

                return any;
            default:
                return null;
        }
    }

    private static string Keyword(Literal literal, SearchAttributeDefinition attribute, string alias) =>
        QueryValue.Convert(literal, attribute, alias) as string ?? literal.Text;

    /// <summary>The first <paramref name="count"/> records in order, without sorting them all (a bounded max-heap).</summary>
    private static List<VisibilityRecord> Smallest(List<VisibilityRecord> all, int count, Comparison<VisibilityRecord> order)
    {
        var heap = new PriorityQueue<VisibilityRecord, VisibilityRecord>(count + 1, Comparer<VisibilityRecord>.Create((x, y) => order(y, x)));
        foreach (var record in all)
        {
            heap.Enqueue(record, record);
            if (heap.Count > count) heap.Dequeue();
        }

        var smallest = new List<VisibilityRecord>(count);
        while (heap.Count > 0) smallest.Add(heap.Dequeue());
        return smallest;
    }
}

/// <summary>
/// A record's place in the real server's list order (<see cref="VisibilityQuery.DefaultOrder"/>): open runs first, then
/// close time, then start time, newest first, then run id.
/// </summary>
internal readonly record struct DefaultOrderKey(long CloseTicks, long StartTicks, string RunId) : IComparable<DefaultOrderKey>
{
    public static DefaultOrderKey Of(IVisibilityRecord record)
    {
        if (record is VisibilityRecord { Run: var run })
        {
            return new(run.CloseTime?.Ticks ?? long.MaxValue, run.StartTime.Ticks, run.RunId);
        }

        return new(
            QueryValue.Normalize(record.GetValue("CloseTime")) is DateTimeOffset close ? close.UtcTicks : long.MaxValue,
            QueryValue.Normalize(record.GetValue("StartTime")) is DateTimeOffset start ? start.UtcTicks : long.MinValue,
            record.GetValue("RunId") as string ?? string.Empty);
    }

    public int CompareTo(DefaultOrderKey other)
    {
        var order = other.CloseTicks.CompareTo(CloseTicks);
        if (order != 0) return order;
        order = other.StartTicks.CompareTo(StartTicks);
        return order != 0 ? order : string.CompareOrdinal(RunId, other.RunId);
    }
}
