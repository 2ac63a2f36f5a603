using Temporalio.Api.Enums.V1;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;

namespace TemporalDev.Query.Evaluation;

/// <summary>One resolved ORDER BY term.</summary>
public sealed record OrderBy(SearchAttributeDefinition Attribute, bool Descending);

/// <summary>
/// A compiled visibility query: the syntax tree, a predicate over records, the ORDER BY terms and the
/// GROUP BY attribute (only ExecutionStatus, for CountWorkflowExecutions).
/// </summary>
public sealed class VisibilityQuery
{
    private static readonly Func<IVisibilityRecord, bool> Everything = _ => true;

    private VisibilityQuery(QuerySyntax syntax, Func<IVisibilityRecord, bool> predicate, IReadOnlyList<OrderBy> orderBy, SearchAttributeDefinition? groupBy)
    {
        Syntax = syntax;
        Matches = predicate;
        OrderBy = orderBy;
        GroupBy = groupBy;
    }

    public QuerySyntax Syntax { get; }

    /// <summary>Gets the filter: true when a record satisfies the query.</summary>
    public Func<IVisibilityRecord, bool> Matches { get; }

    public IReadOnlyList<OrderBy> OrderBy { get; }

    public SearchAttributeDefinition? GroupBy { get; }

    /// <summary>Parses and type-checks a query, or throws <see cref="QueryException"/> saying where and what.</summary>
    public static VisibilityQuery Compile(string? query, SearchAttributeRegistry registry)
    {
        var syntax = QueryParser.Parse(query ?? string.Empty);
        if (syntax.Limit is { } limit)
        {
            throw new QueryException("operation is not supported: 'LIMIT' clause", limit.Position);
        }
        var compiler = new QueryCompiler(registry);
        var predicate = syntax.Where == null ? Everything : compiler.Compile(syntax.Where);

        if (syntax.GroupBy.Count > 1)
        {
            throw new QueryException("operation is not supported: 'GROUP BY' clause supports only a single field", syntax.GroupBy[1].Position);
        }
        SearchAttributeDefinition? groupBy = null;
        if (syntax.GroupBy.Count == 1)
        {
            var column = syntax.GroupBy[0];
            groupBy = compiler.Resolve(column);
            if (groupBy.Name != "ExecutionStatus")
            {
                throw new QueryException($"operation is not supported: 'GROUP BY' clause is not supported for search attribute {column.Name}", column.Position);
            }
        }

        var orderBy = new List<OrderBy>();
        foreach (var term in syntax.OrderBy)
        {
            var attribute = compiler.Resolve(term.Column);
            if (attribute.Type == IndexedValueType.Text)
            {
                throw new QueryException("operation is not supported: unable to sort by search attribute type Text", term.Column.Position);
            }
            orderBy.Add(new OrderBy(attribute, term.Descending));
        }
        return new VisibilityQuery(syntax, predicate, orderBy, groupBy);
    }

    /// <summary>
    /// Orders two records by the ORDER BY terms (an unset value sorts before any value, as in SQL), then
    /// by the real server's list order: open executions first, then by close time, then start time, all
    /// newest first, then by run id.
    /// </summary>
    public int Compare(IVisibilityRecord left, IVisibilityRecord right)
    {
        var ordered = CompareByTerms(left, right);
        return ordered != 0 ? ordered : DefaultOrder(left, right);
    }

    /// <summary>The real server's list order (SQL visibility: coalesce(CloseTime, max) DESC, StartTime DESC, RunId).</summary>
    public static int DefaultOrder(IVisibilityRecord left, IVisibilityRecord right)
    {
        var leftClose = QueryValue.Normalize(left.GetValue("CloseTime")) as DateTimeOffset? ?? DateTimeOffset.MaxValue;
        var rightClose = QueryValue.Normalize(right.GetValue("CloseTime")) as DateTimeOffset? ?? DateTimeOffset.MaxValue;
        var order = rightClose.CompareTo(leftClose);
        if (order != 0)
        {
            return order;
        }
        var leftStart = QueryValue.Normalize(left.GetValue("StartTime")) as DateTimeOffset? ?? DateTimeOffset.MinValue;
        var rightStart = QueryValue.Normalize(right.GetValue("StartTime")) as DateTimeOffset? ?? DateTimeOffset.MinValue;
        order = rightStart.CompareTo(leftStart);
        return order != 0 ? order : string.CompareOrdinal(left.GetValue("RunId") as string, right.GetValue("RunId") as string);
    }

    private int CompareByTerms(IVisibilityRecord left, IVisibilityRecord right)
    {
        foreach (var term in OrderBy)
        {
            var a = QueryValue.Normalize(left.GetValue(term.Attribute.Name));
            var b = QueryValue.Normalize(right.GetValue(term.Attribute.Name));
            var order = (a, b) switch
            {
                (null, null) => 0,
                (null, _) => -1,
                (_, null) => 1,
                _ => QueryValue.Compare(a, b) ?? 0,
            };
            if (order != 0)
            {
                return term.Descending ? -order : order;
            }
        }
        return 0;
    }

    /// <summary>The GROUP BY value of a record (its ExecutionStatus name), or null without GROUP BY.</summary>
    public string? GroupKey(IVisibilityRecord record) =>
        GroupBy == null ? null : QueryValue.Normalize(record.GetValue(GroupBy.Name)) as string;
}
