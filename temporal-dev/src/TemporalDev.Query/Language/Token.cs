namespace TemporalDev.Query.Language;

/// <summary>The kinds of token in the visibility query language.</summary>
public enum TokenKind
{
    End,
    Identifier,
    String,
    Integer,
    Float,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    Keyword,
}

/// <summary>One token: its kind, its text (keywords upper-cased, strings unquoted) and its 1-based position.</summary>
public readonly record struct Token(TokenKind Kind, string Text, int Position, string Raw)
{
    public bool IsKeyword(string keyword) => Kind == TokenKind.Keyword && Text == keyword;

    public override string ToString() => Kind == TokenKind.End ? "end of query" : Raw;
}
