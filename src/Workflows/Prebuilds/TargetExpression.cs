using System.Collections.Concurrent;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>Why a target expression cannot be used: the problem and the 1-based character position it was found at.</summary>
/// <param name="Problem">What is wrong, e.g. <c>unknown variable "foo"</c>.</param>
/// <param name="Position">1-based index of the character at fault in the expression text; 0 when it concerns the whole text.</param>
public sealed record TargetExpressionError(string Problem, int Position)
{
    /// <summary>The problem with its position: <c>unknown variable "foo" at 5</c>.</summary>
    public string Message => Position > 0 ? $"{Problem} at {Position}" : Problem;

    public override string ToString() => Message;
}

/// <summary>The outcome of parsing a target expression: the expression, or the error that stopped the parse.</summary>
public sealed record TargetExpressionParse(TargetExpression? Expression, TargetExpressionError? Error);

/// <summary>The outcome of evaluating a target expression: the target clamped to [0, 100], or the error.</summary>
/// <param name="Target">The desired count (clamped); meaningful only when <paramref name="Error"/> is null.</param>
/// <param name="Error">Why there is no target.</param>
public sealed record TargetExpressionOutcome(int Target, TargetExpressionError? Error);

/// <summary>
/// A preset's target expression (spec B16), a small deterministic subset of the Expr language Coder uses: integer and
/// float literals, <c>true</c>/<c>false</c>, the variables of <see cref="TargetVariables"/>, <c>+ - * / %</c>, unary
/// <c>- + !</c> (<c>not</c>), comparisons, <c>&amp;&amp;</c> (<c>and</c>), <c>||</c> (<c>or</c>), <c>cond ? a : b</c>,
/// parentheses and the functions <c>clamp min max abs floor ceil round</c>. Parsed once (cached by text), evaluated
/// without I/O or ambient state, so it runs inside workflow code and replays identically.
/// </summary>
public sealed class TargetExpression
{
    /// <summary>The longest expression accepted, in characters.</summary>
    public const int MaximumLength = 1000;

    /// <summary>The deepest nesting of parentheses, unary operators, conditionals and calls accepted.</summary>
    public const int MaximumNesting = 32;

    /// <summary>The smallest desired count an expression may give (B16).</summary>
    public const int MinimumTarget = 0;

    /// <summary>The largest desired count an expression may give (B16).</summary>
    public const int MaximumTarget = 100;

    private const int CacheLimit = 1024;

    // Parsing is a pure function of the text, so sharing results between workflows cannot break determinism.
    private static readonly ConcurrentDictionary<string, TargetExpressionParse> Cache = new(StringComparer.Ordinal);

    private readonly ExpressionNode root;

    internal TargetExpression(string text, ExpressionNode root)
    {
        Text = text;
        this.root = root;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; unknown variables and functions and wrong argument counts are parse errors.</summary>
    public static TargetExpressionParse Parse(string? text)
    {
        if (text is null)
            return new TargetExpressionParse(null, new TargetExpressionError("is empty", 0));
        if (Cache.TryGetValue(text, out var cached))
            return cached;
        var parsed = TargetExpressionParser.Parse(text);
        if (Cache.Count >= CacheLimit)
            Cache.Clear();
        Cache.TryAdd(text, parsed);
        return parsed;
    }

    /// <summary>
    /// Evaluates against <paramref name="variables"/>. The result must be an integer (a float with no fractional part,
    /// such as <c>4 / 2</c>, counts); it is clamped to [<see cref="MinimumTarget"/>, <see cref="MaximumTarget"/>].
    /// </summary>
    public TargetExpressionOutcome Evaluate(TargetVariables variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        ExpressionValue value;
        try
        {
            value = root.Evaluate(variables);
        }
        catch (ExpressionFailure failure)
        {
            return new TargetExpressionOutcome(0, failure.Error);
        }

        double number;
        switch (value.Kind)
        {
            case ExpressionKind.Int:
                number = value.Int;
                break;
            case ExpressionKind.Float when Math.Floor(value.Float) == value.Float:
                number = value.Float;
                break;
            case ExpressionKind.Float:
                return new TargetExpressionOutcome(0, new TargetExpressionError($"result {ExpressionValue.Format(value.Float)} is not an integer (use floor, ceil or round)", 0));
            default:
                return new TargetExpressionOutcome(0, new TargetExpressionError("result is a bool, not an integer (use cond ? a : b)", 0));
        }

        var target = (int)Math.Clamp(number, MinimumTarget, MaximumTarget);
        return new TargetExpressionOutcome(target, null);
    }

    public override string ToString() => Text;
}
