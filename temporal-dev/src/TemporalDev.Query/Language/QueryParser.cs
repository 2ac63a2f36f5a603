namespace TemporalDev.Query.Language;

/// <summary>
/// Parses the visibility query language (the WHERE clause of SQL, plus GROUP BY, ORDER BY) with SQL's
/// precedence: comparisons, then NOT, then AND, then OR.
/// </summary>
public sealed class QueryParser
{
    private static readonly HashSet<string> ComparisonOperators = new(StringComparer.Ordinal) { "=", "!=", "<", ">", "<=", ">=" };

    private readonly IReadOnlyList<Token> tokens;
    private int next;

    private QueryParser(IReadOnlyList<Token> tokens) => this.tokens = tokens;

    private Token Current => tokens[next];

    public static QuerySyntax Parse(string query)
    {
        var parser = new QueryParser(QueryLexer.Tokenize(query));
        return parser.ParseQuery();
    }

    private QuerySyntax ParseQuery()
    {
        QueryExpression? where = null;
        if (Current.Kind != TokenKind.End && !Current.IsKeyword("ORDER") && !Current.IsKeyword("GROUP"))
        {
            where = ParseOr();
        }
        var groupBy = new List<ColumnReference>();
        if (Current.IsKeyword("GROUP"))
        {
            Advance();
            Expect("BY");
            groupBy.Add(ParseColumn());
            while (Current.Kind == TokenKind.Comma)
            {
                Advance();
                groupBy.Add(ParseColumn());
            }
        }
        var orderBy = new List<OrderTerm>();
        if (Current.IsKeyword("ORDER"))
        {
            Advance();
            Expect("BY");
            do
            {
                if (orderBy.Count > 0)
                {
                    Advance();
                }
                var column = ParseColumn();
                var descending = false;
                if (Current.IsKeyword("ASC") || Current.IsKeyword("DESC"))
                {
                    descending = Current.Text == "DESC";
                    Advance();
                }
                orderBy.Add(new OrderTerm(column, descending));
            }
            while (Current.Kind == TokenKind.Comma);
        }
        Token? limit = null;
        if (Current.IsKeyword("LIMIT"))
        {
            limit = Current;
            Advance();
            if (Current.Kind != TokenKind.Integer)
            {
                throw Unexpected();
            }
            Advance();
        }
        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected();
        }
        return new QuerySyntax(where, groupBy, orderBy, limit);
    }

    private QueryExpression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsKeyword("OR"))
        {
            Advance();
            left = new OrExpression(left, ParseAnd());
        }
        return left;
    }

    private QueryExpression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsKeyword("AND"))
        {
            Advance();
            left = new AndExpression(left, ParseNot());
        }
        return left;
    }

    private QueryExpression ParseNot()
    {
        if (Current.IsKeyword("NOT"))
        {
            var at = Current.Position;
            Advance();
            return new NotExpression(ParseNot(), at);
        }
        return ParsePrimary();
    }

    private QueryExpression ParsePrimary()
    {
        if (Current.Kind == TokenKind.LeftParen)
        {
            Advance();
            var inner = ParseOr();
            if (Current.Kind != TokenKind.RightParen)
            {
                throw Unexpected();
            }
            Advance();
            return inner;
        }
        // A value on the left ("'x' = WorkflowId") parses in SQL; the real server then rejects it.
        if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
            && next + 1 < tokens.Count && tokens[next + 1].Kind == TokenKind.Operator)
        {
            throw new QueryException("invalid expression: must be a column name but was a value", Current.Position);
        }
        var column = ParseColumn();
        var op = Current;
        if (op.Kind == TokenKind.Operator && ComparisonOperators.Contains(op.Text))
        {
            Advance();
            return ParseRightSide(column, op.Text, op.Position);
        }
        if (op.IsKeyword("STARTS_WITH"))
        {
            Advance();
            return ParseRightSide(column, "starts_with", op.Position);
        }
        if (op.IsKeyword("IN"))
        {
            Advance();
            return new ComparisonExpression(column, "in", ParseList(), null, op.Position);
        }
        if (op.IsKeyword("BETWEEN"))
        {
            Advance();
            return ParseBetween(column, negated: false);
        }
        if (op.IsKeyword("IS"))
        {
            Advance();
            var negated = false;
            if (Current.IsKeyword("NOT"))
            {
                negated = true;
                Advance();
            }
            Expect("NULL");
            return new IsNullExpression(column, negated);
        }
        if (op.IsKeyword("NOT"))
        {
            Advance();
            var negatedOp = Current;
            if (negatedOp.IsKeyword("IN"))
            {
                Advance();
                return new ComparisonExpression(column, "not in", ParseList(), null, op.Position);
            }
            if (negatedOp.IsKeyword("BETWEEN"))
            {
                Advance();
                return ParseBetween(column, negated: true);
            }
            if (negatedOp.IsKeyword("STARTS_WITH"))
            {
                Advance();
                return ParseRightSide(column, "not starts_with", op.Position);
            }
            throw Unexpected();
        }
        if (op.IsKeyword("LIKE"))
        {
            throw new QueryException("operation is not supported: operator 'LIKE'", op.Position);
        }
        if (op.Kind == TokenKind.End || op.IsKeyword("AND") || op.IsKeyword("OR") || op.Kind == TokenKind.RightParen)
        {
            throw new QueryException("invalid expression: incomplete expression", column.Position);
        }
        throw Unexpected();
    }

    private ComparisonExpression ParseRightSide(ColumnReference column, string op, int opPosition)
    {
        if (Current.Kind == TokenKind.Identifier)
        {
            var right = new ColumnReference(Current.Text, Current.Position);
            Advance();
            return new ComparisonExpression(column, op, [], right, opPosition);
        }
        return new ComparisonExpression(column, op, [ParseLiteral()], null, opPosition);
    }

    private BetweenExpression ParseBetween(ColumnReference column, bool negated)
    {
        var from = ParseLiteral();
        Expect("AND");
        var to = ParseLiteral();
        return new BetweenExpression(column, from, to, negated);
    }

    private List<Literal> ParseList()
    {
        if (Current.Kind != TokenKind.LeftParen)
        {
            throw Unexpected();
        }
        Advance();
        var values = new List<Literal> { ParseLiteral() };
        while (Current.Kind == TokenKind.Comma)
        {
            Advance();
            values.Add(ParseLiteral());
        }
        if (Current.Kind != TokenKind.RightParen)
        {
            throw Unexpected();
        }
        Advance();
        return values;
    }

    private Literal ParseLiteral()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.String or TokenKind.Integer or TokenKind.Float:
                Advance();
                return new Literal(token.Kind, token.Text, token.Position);
            case TokenKind.Keyword when token.Text is "TRUE" or "FALSE":
                Advance();
                return new Literal(TokenKind.Keyword, token.Text.ToLowerInvariant(), token.Position);
            case TokenKind.Operator when token.Text is "-" or "+":
                Advance();
                var number = Current;
                if (number.Kind is not (TokenKind.Integer or TokenKind.Float) || number.Position != token.Position + 1)
                {
                    throw Unexpected();
                }
                Advance();
                return new Literal(number.Kind, token.Text == "-" ? "-" + number.Text : number.Text, token.Position);
            case TokenKind.Identifier:
                throw new QueryException(
                    $"operation is not supported: column name on the right side of comparison expression (did you forget to quote \"{token.Text}\"?)",
                    token.Position);
            default:
                throw Unexpected();
        }
    }

    private ColumnReference ParseColumn()
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            throw Unexpected();
        }
        Advance();
        return new ColumnReference(token.Text, token.Position);
    }

    private void Expect(string keyword)
    {
        if (!Current.IsKeyword(keyword))
        {
            throw Unexpected();
        }
        Advance();
    }

    private void Advance() => next = Math.Min(next + 1, tokens.Count - 1);

    private QueryException Unexpected() =>
        Current.Kind == TokenKind.End
            ? new QueryException($"malformed SQL query: syntax error at position {Current.Position}: unexpected end of query", Current.Position)
            : QueryLexer.Syntax(Current.Position, Current.Raw);
}
