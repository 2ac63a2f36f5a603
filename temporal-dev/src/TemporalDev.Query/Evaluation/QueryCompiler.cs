using Temporalio.Api.Enums.V1;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;

namespace TemporalDev.Query.Evaluation;

/// <summary>
/// Resolves names and checks operators and literals against attribute types, turning the syntax tree
/// into a predicate. Comparisons on an unset attribute are false (SQL semantics), except IS NULL.
/// </summary>
internal sealed class QueryCompiler(SearchAttributeRegistry registry)
{
    private static readonly string[] OrderedOperators = ["=", "!=", "<", ">", "<=", ">=", "in", "not in"];

    public SearchAttributeDefinition Resolve(ColumnReference column) =>
        registry.ResolveForQuery(column.Name)
        ?? throw new QueryException($"invalid expression: column name '{column.Name}' is not a valid search attribute", column.Position);

    public Func<IVisibilityRecord, bool> Compile(QueryExpression expression)
    {
        switch (expression)
        {
            case AndExpression and:
                {
                    var left = Compile(and.Left);
                    var right = Compile(and.Right);
                    return r => left(r) && right(r);
                }
            case OrExpression or:
                {
                    var left = Compile(or.Left);
                    var right = Compile(or.Right);
                    return r => left(r) || right(r);
                }
            case NotExpression not:
                {
                    var inner = Compile(not.Inner);
                    return r => !inner(r);
                }
            case IsNullExpression isNull:
                {
                    var name = Resolve(isNull.Column).Name;
                    return isNull.Negated ? r => r.GetValue(name) != null : r => r.GetValue(name) == null;
                }
            case BetweenExpression between:
                return CompileBetween(between);
            case ComparisonExpression comparison:
                return CompileComparison(comparison);
            default:
                throw new QueryException($"operation is not supported: expression of type {expression.GetType().Name}", expression.Position);
        }
    }

    private Func<IVisibilityRecord, bool> CompileBetween(BetweenExpression between)
    {
        var attribute = Resolve(between.Column);
        if (attribute.Type is not (IndexedValueType.Datetime or IndexedValueType.Double or IndexedValueType.Int or IndexedValueType.Keyword))
        {
            throw new QueryException(
                $"invalid expression: cannot do range condition on search attribute '{between.Column.Name}' of type {SearchAttributeTypes.NameOf(attribute.Type)}",
                between.Column.Position);
        }
        var from = QueryValue.Convert(between.From, attribute, between.Column.Name);
        var to = QueryValue.Convert(between.To, attribute, between.Column.Name);
        var name = attribute.Name;
        return r =>
        {
            if (QueryValue.Normalize(r.GetValue(name)) is not { } value)
            {
                return false;
            }
            var inside = QueryValue.Compare(value, from) >= 0 && QueryValue.Compare(value, to) <= 0;
            return between.Negated ? !inside : inside;
        };
    }

    private Func<IVisibilityRecord, bool> CompileComparison(ComparisonExpression comparison)
    {
        var attribute = Resolve(comparison.Column);
        var op = comparison.Operator;
        var supported = attribute.Type switch
        {
            IndexedValueType.Keyword => OrderedOperators.Contains(op) || op is "starts_with" or "not starts_with",
            IndexedValueType.KeywordList => op is "=" or "!=" or "in" or "not in",
            IndexedValueType.Text => op is "=" or "!=",
            _ => OrderedOperators.Contains(op),
        };
        if (!supported)
        {
            throw new QueryException(
                $"operation is not supported: operator '{op.ToUpperInvariant()}' not supported for {SearchAttributeTypes.NameOf(attribute.Type)} type search attribute '{comparison.Column.Name}'",
                comparison.OperatorPosition);
        }
        if (comparison.RightColumn is { } right)
        {
            throw new QueryException(
                $"operation is not supported: column name on the right side of comparison expression (did you forget to quote \"{right.Name}\"?)",
                right.Position);
        }
        var values = comparison.Values.Select(v => QueryValue.Convert(v, attribute, comparison.Column.Name)).ToArray();
        var name = attribute.Name;
        var test = attribute.Type switch
        {
            IndexedValueType.KeywordList => KeywordListTest(op, values),
            IndexedValueType.Text => TextTest(op, (string)values[0], comparison.Values[0].Position),
            _ => ScalarTest(op, values),
        };
        // The real server matches lists and text through a full-text index as "rowid [NOT] IN (matches)",
        // so a negative test also selects executions where the attribute is unset; scalars follow SQL NULL rules.
        var whenUnset = attribute.Type is IndexedValueType.KeywordList or IndexedValueType.Text && op is "!=" or "not in";
        return r => QueryValue.Normalize(r.GetValue(name)) is { } value ? test(value) : whenUnset;
    }

    private static Func<object, bool> ScalarTest(string op, object[] values)
    {
        var first = values[0];
        return op switch
        {
            "=" => v => QueryValue.Compare(v, first) == 0,
            "!=" => v => QueryValue.Compare(v, first) is { } c && c != 0,
            "<" => v => QueryValue.Compare(v, first) < 0,
            ">" => v => QueryValue.Compare(v, first) > 0,
            "<=" => v => QueryValue.Compare(v, first) <= 0,
            ">=" => v => QueryValue.Compare(v, first) >= 0,
            "in" => v => values.Any(x => QueryValue.Compare(v, x) == 0),
            "not in" => v => values.All(x => QueryValue.Compare(v, x) is { } c && c != 0),
            "starts_with" => v => v is string s && s.StartsWith((string)first, StringComparison.Ordinal),
            _ => v => v is string s && !s.StartsWith((string)first, StringComparison.Ordinal),
        };
    }

    // A keyword list "equals" a value when it contains it; IN when it contains any of the values.
    private static Func<object, bool> KeywordListTest(string op, object[] values)
    {
        static IEnumerable<string> Items(object v) => v as IEnumerable<string> ?? (v is string s ? [s] : []);
        return op switch
        {
            "=" => v => Items(v).Contains((string)values[0]),
            "!=" => v => !Items(v).Contains((string)values[0]),
            "in" => v => Items(v).Any(i => values.Contains(i)),
            _ => v => !Items(v).Any(i => values.Contains(i)),
        };
    }

    // Text is full-text matched like SQLite FTS: the value's space-separated tokens are OR-ed, and a token
    // matches a word of the attribute ignoring case.
    private static Func<object, bool> TextTest(string op, string value, int position)
    {
        var wanted = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(Words).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            throw new QueryException("invalid expression: unexpected value for Text type search attribute (no tokens found)", position);
        }
        return op == "="
            ? v => v is string s && wanted.Overlaps(Words(s))
            : v => v is not string s || !wanted.Overlaps(Words(s));
    }

    private static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }
}
