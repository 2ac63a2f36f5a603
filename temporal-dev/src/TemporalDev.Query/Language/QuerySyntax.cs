namespace TemporalDev.Query.Language;

/// <summary>A parsed query: the filter (null for "everything"), GROUP BY columns, ORDER BY terms and LIMIT if written.</summary>
public sealed record QuerySyntax(QueryExpression? Where, IReadOnlyList<ColumnReference> GroupBy, IReadOnlyList<OrderTerm> OrderBy, Token? Limit);

/// <summary>A search attribute name as written, with where it was written.</summary>
public sealed record ColumnReference(string Name, int Position);

/// <summary>One ORDER BY term.</summary>
public sealed record OrderTerm(ColumnReference Column, bool Descending);

/// <summary>A literal as written: its token kind (String, Integer, Float, Keyword TRUE/FALSE), text and position.</summary>
public sealed record Literal(TokenKind Kind, string Text, int Position)
{
    public override string ToString() => Kind == TokenKind.String ? $"'{Text}'" : Text;
}

/// <summary>A node of the filter expression.</summary>
public abstract record QueryExpression(int Position);

/// <summary>Both sides must hold.</summary>
public sealed record AndExpression(QueryExpression Left, QueryExpression Right) : QueryExpression(Left.Position);

/// <summary>Either side must hold.</summary>
public sealed record OrExpression(QueryExpression Left, QueryExpression Right) : QueryExpression(Left.Position);

/// <summary>The inner expression must not hold.</summary>
public sealed record NotExpression(QueryExpression Inner, int At) : QueryExpression(At);

/// <summary>
/// A comparison: = != &lt; &gt; &lt;= &gt;= STARTS_WITH, NOT STARTS_WITH (one value) or IN, NOT IN (a list).
/// A column written on the right-hand side is kept as <see cref="RightColumn"/> so the error can name it.
/// </summary>
public sealed record ComparisonExpression(ColumnReference Column, string Operator, IReadOnlyList<Literal> Values, ColumnReference? RightColumn, int OperatorPosition)
    : QueryExpression(Column.Position);

/// <summary>[NOT] BETWEEN from AND to (inclusive).</summary>
public sealed record BetweenExpression(ColumnReference Column, Literal From, Literal To, bool Negated) : QueryExpression(Column.Position);

/// <summary>IS NULL or IS NOT NULL.</summary>
public sealed record IsNullExpression(ColumnReference Column, bool Negated) : QueryExpression(Column.Position);
