using System.Text;

namespace TemporalDev.Query.Language;

/// <summary>Splits a query into tokens: names (bare or `back-quoted`), 'strings' or "strings", numbers, operators, keywords.</summary>
public static class QueryLexer
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "ORDER", "GROUP", "BY", "ASC", "DESC",
        "STARTS_WITH", "TRUE", "FALSE", "LIMIT", "LIKE", "SELECT", "FROM", "WHERE", "HAVING",
    };

    public static IReadOnlyList<Token> Tokenize(string query)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < query.Length && char.IsWhiteSpace(query[i]))
            {
                i++;
            }
            if (i >= query.Length)
            {
                tokens.Add(new Token(TokenKind.End, string.Empty, query.Length + 1, string.Empty));
                return tokens;
            }
            var start = i;
            var c = query[i];
            if (c is '\'' or '"')
            {
                tokens.Add(new Token(TokenKind.String, ReadQuoted(query, ref i, c), start + 1, query[start..i]));
            }
            else if (c == '`')
            {
                tokens.Add(new Token(TokenKind.Identifier, ReadQuoted(query, ref i, c), start + 1, query[start..i]));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < query.Length && char.IsAsciiDigit(query[i + 1])))
            {
                var isFloat = false;
                while (i < query.Length && (char.IsAsciiDigit(query[i]) || query[i] == '.'
                    || ((query[i] is 'e' or 'E') && i + 1 < query.Length && (char.IsAsciiDigit(query[i + 1]) || query[i + 1] is '-' or '+'))
                    || ((query[i] is '-' or '+') && query[i - 1] is 'e' or 'E')))
                {
                    isFloat |= query[i] is '.' or 'e' or 'E';
                    i++;
                }
                // "12abc" is one word in SQL (a malformed name), not a number followed by a name.
                if (i < query.Length && IsNameChar(query[i]))
                {
                    while (i < query.Length && IsNameChar(query[i]))
                    {
                        i++;
                    }
                    tokens.Add(new Token(TokenKind.Identifier, query[start..i], start + 1, query[start..i]));
                }
                else
                {
                    tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, query[start..i], start + 1, query[start..i]));
                }
            }
            else if (IsNameChar(c))
            {
                while (i < query.Length && (IsNameChar(query[i]) || query[i] == '.'))
                {
                    i++;
                }
                var word = query[start..i];
                tokens.Add(Keywords.Contains(word)
                    ? new Token(TokenKind.Keyword, word.ToUpperInvariant(), start + 1, word)
                    : new Token(TokenKind.Identifier, word, start + 1, word));
            }
            else if (c == '(' || c == ')' || c == ',')
            {
                i++;
                tokens.Add(new Token(c == '(' ? TokenKind.LeftParen : c == ')' ? TokenKind.RightParen : TokenKind.Comma, c.ToString(), start + 1, c.ToString()));
            }
            else if (c is '=' or '<' or '>' or '!')
            {
                i++;
                if (i < query.Length && (query[i] == '=' || (c == '<' && query[i] == '>')))
                {
                    i++;
                }
                var op = query[start..i];
                if (op == "!")
                {
                    throw Syntax(start + 1, op);
                }
                tokens.Add(new Token(TokenKind.Operator, op == "<>" ? "!=" : op, start + 1, op));
            }
            else if (c == '-' || c == '+')
            {
                i++;
                tokens.Add(new Token(TokenKind.Operator, c.ToString(), start + 1, c.ToString()));
            }
            else
            {
                throw Syntax(start + 1, c.ToString());
            }
        }
    }

    /// <summary>The real server's (sqlparser's) wording for a syntax error, with the position in this query.</summary>
    public static QueryException Syntax(int position, string near) =>
        new($"malformed SQL query: syntax error at position {position} near '{near}'", position);

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$';

    private static string ReadQuoted(string query, ref int i, char quote)
    {
        var start = i;
        var text = new StringBuilder();
        i++;
        while (i < query.Length)
        {
            var c = query[i];
            if (c == quote)
            {
                // A doubled quote is a quote inside the literal.
                if (i + 1 < query.Length && query[i + 1] == quote)
                {
                    text.Append(quote);
                    i += 2;
                    continue;
                }
                i++;
                return text.ToString();
            }
            if (c == '\\' && quote != '`' && i + 1 < query.Length)
            {
                var escaped = query[i + 1];
                text.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => escaped });
                i += 2;
                continue;
            }
            text.Append(c);
            i++;
        }
        throw new QueryException($"malformed SQL query: syntax error at position {start + 1} near '{query[start..]}': unterminated quoted text", start + 1);
    }
}
