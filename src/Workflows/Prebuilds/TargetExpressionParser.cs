using System.Globalization;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>
/// A recursive-descent parser for target expressions. Precedence, lowest first: <c>?:</c> (right-associative),
/// <c>||</c>/<c>or</c>, <c>&amp;&amp;</c>/<c>and</c>, <c>== !=</c>, <c>&lt; &lt;= &gt; &gt;=</c>, <c>+ -</c>,
/// <c>* / %</c>, unary <c>- + !</c>/<c>not</c>; binary operators are left-associative. Recursion happens only where
/// the nesting grows (parentheses, unary operators, conditionals, call arguments), bounded by
/// <see cref="TargetExpression.MaximumNesting"/>; the length bound caps everything else.
/// </summary>
internal sealed class TargetExpressionParser
{
    private static readonly string[] Symbols = ["&&", "||", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "(", ")", ",", "?", ":", "<", ">", "!"];

    private readonly List<Token> tokens;
    private int next;
    private int nesting;

    private TargetExpressionParser(List<Token> tokens)
    {
        this.tokens = tokens;
    }

    private enum TokenKind
    {
        Number,
        Name,
        Symbol,
        End,
    }

    public static TargetExpressionParse Parse(string text)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(text))
                throw ExpressionFailure.At(0, "is empty");
            if (text.Length > TargetExpression.MaximumLength)
                throw ExpressionFailure.At(0, $"is {text.Length} characters long; the limit is {TargetExpression.MaximumLength}");
            var parser = new TargetExpressionParser(Tokenize(text));
            var root = parser.Conditional();
            var rest = parser.Peek;
            if (rest.Kind != TokenKind.End)
                throw ExpressionFailure.At(rest.Position, $"unexpected {Describe(rest)} after a complete expression");
            return new TargetExpressionParse(new TargetExpression(text, root), null);
        }
        catch (ExpressionFailure failure)
        {
            return new TargetExpressionParse(null, failure.Error);
        }
    }

    private Token Peek => tokens[next];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_'))
                    i++;
                if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
                {
                    i++;
                    while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '_'))
                        i++;
                }
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    var exponent = i + 1;
                    if (exponent < text.Length && text[exponent] is '+' or '-')
                        exponent++;
                    if (exponent < text.Length && char.IsAsciiDigit(text[exponent]))
                    {
                        i = exponent;
                        while (i < text.Length && char.IsAsciiDigit(text[i]))
                            i++;
                    }
                }
                if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_'))
                    throw ExpressionFailure.At(i + 1, $"unexpected character '{text[i]}' in the number \"{text[start..(i + 1)]}\"");
                tokens.Add(new Token(TokenKind.Number, text[start..i], start + 1));
                continue;
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                    i++;
                tokens.Add(new Token(TokenKind.Name, text[start..i], start + 1));
                continue;
            }

            var symbol = Symbols.FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0)
                ?? throw ExpressionFailure.At(i + 1, $"unexpected character '{c}'");
            tokens.Add(new Token(TokenKind.Symbol, symbol, start + 1));
            i += symbol.Length;
        }

        tokens.Add(new Token(TokenKind.End, "", text.Length + 1));
        return tokens;
    }

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.End => "end of expression",
        TokenKind.Number => $"number {token.Text}",
        TokenKind.Name => $"name \"{token.Text}\"",
        _ => $"'{token.Text}'",
    };

    private ExpressionNode Conditional()
    {
        var condition = Or();
        if (!IsSymbol("?"))
            return condition;
        var question = Take();
        Enter(question);
        var whenTrue = Conditional();
        Expect(":", $"':' of the conditional at {question.Position}");
        var whenFalse = Conditional();
        nesting--;
        return new ConditionalNode(question.Position, condition, whenTrue, whenFalse);
    }

    private ExpressionNode Or() => LeftAssociative(And, "||", "or");

    private ExpressionNode And() => LeftAssociative(Equality, "&&", "and");

    private ExpressionNode Equality() => LeftAssociative(Comparison, "==", "!=");

    private ExpressionNode Comparison() => LeftAssociative(Additive, "<", "<=", ">", ">=");

    private ExpressionNode Additive() => LeftAssociative(Multiplicative, "+", "-");

    private ExpressionNode Multiplicative() => LeftAssociative(Unary, "*", "/", "%");

    private ExpressionNode LeftAssociative(Func<ExpressionNode> operand, params string[] operators)
    {
        var left = operand();
        while (operators.FirstOrDefault(IsOperator) is { } found)
        {
            var token = Take();
            var op = found switch
            {
                "or" => "||",
                "and" => "&&",
                _ => found,
            };
            left = new BinaryNode(token.Position, op, left, operand());
        }
        return left;
    }

    private ExpressionNode Unary()
    {
        if (IsSymbol("-") || IsSymbol("+") || IsSymbol("!") || IsOperator("not"))
        {
            var token = Take();
            Enter(token);
            var operand = Unary();
            nesting--;
            return new UnaryNode(token.Position, token.Text == "not" ? "!" : token.Text, operand);
        }
        return Primary();
    }

    private ExpressionNode Primary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Take();
                return new LiteralNode(token.Position, Number(token));
            case TokenKind.Name when token.Text is "true" or "false":
                Take();
                return new LiteralNode(token.Position, ExpressionValue.Of(token.Text == "true"));
            case TokenKind.Name:
                Take();
                return IsSymbol("(") ? Call(token) : Variable(token);
            case TokenKind.Symbol when token.Text == "(":
                Take();
                Enter(token);
                var inner = Conditional();
                Expect(")", $"')' closing the '(' at {token.Position}");
                nesting--;
                return inner;
            default:
                throw ExpressionFailure.At(token.Position, token.Kind == TokenKind.End ? "unexpected end of expression" : $"unexpected {Describe(token)}");
        }
    }

    private static VariableNode Variable(Token name)
    {
        if (TargetVariables.TryGet(name.Text, out var read))
            return new VariableNode(name.Position, name.Text, read);
        if (CallNode.Arity.ContainsKey(name.Text))
            throw ExpressionFailure.At(name.Position, $"{name.Text} is a function; call it as {name.Text}(…)");
        throw ExpressionFailure.At(name.Position, $"unknown variable \"{name.Text}\"");
    }

    private CallNode Call(Token name)
    {
        if (!CallNode.Arity.TryGetValue(name.Text, out var arity))
            throw ExpressionFailure.At(name.Position, $"unknown function \"{name.Text}\" (known: {string.Join(", ", CallNode.Arity.Keys)})");
        var open = Take();
        Enter(open);
        var arguments = new List<ExpressionNode>();
        if (!IsSymbol(")"))
        {
            arguments.Add(Conditional());
            while (IsSymbol(","))
            {
                Take();
                arguments.Add(Conditional());
            }
        }
        Expect(")", $"')' closing the call of {name.Text} at {name.Position}");
        nesting--;
        if (arguments.Count < arity.Least || arguments.Count > arity.Most)
        {
            var wanted = arity.Least == arity.Most ? $"{arity.Least}" : $"{arity.Least} to {arity.Most}";
            throw ExpressionFailure.At(name.Position, $"{name.Text}() takes {wanted} argument{(arity.Most == 1 ? "" : "s")}, got {arguments.Count}");
        }
        return new CallNode(name.Position, name.Text, arguments);
    }

    private static ExpressionValue Number(Token token)
    {
        var digits = token.Text.Replace("_", "", StringComparison.Ordinal);
        var isFloat = digits.Contains('.', StringComparison.Ordinal) || digits.Contains('e', StringComparison.OrdinalIgnoreCase);
        if (!isFloat)
        {
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var integer)
                ? ExpressionValue.Of(integer)
                : throw ExpressionFailure.At(token.Position, $"integer {token.Text} is out of range");
        }
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? ExpressionValue.Of(number)
            : throw ExpressionFailure.At(token.Position, $"number {token.Text} is out of range");
    }

    private void Enter(Token token)
    {
        if (++nesting > TargetExpression.MaximumNesting)
            throw ExpressionFailure.At(token.Position, $"nested more than {TargetExpression.MaximumNesting} deep");
    }

    private void Expect(string symbol, string what)
    {
        if (!IsSymbol(symbol))
            throw ExpressionFailure.At(Peek.Position, $"expected {what}, got {Describe(Peek)}");
        Take();
    }

    private Token Take() => tokens[next++];

    private bool IsSymbol(string symbol) => Peek.Kind == TokenKind.Symbol && Peek.Text == symbol;

    private bool IsOperator(string op) =>
        op is "and" or "or" or "not" ? Peek.Kind == TokenKind.Name && Peek.Text == op : IsSymbol(op);

    private sealed record Token(TokenKind Kind, string Text, int Position);
}
