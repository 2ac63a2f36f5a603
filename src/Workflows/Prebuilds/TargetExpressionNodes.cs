using System.Globalization;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>The type of an expression value; Expr keeps integers and floats apart, and so do we.</summary>
internal enum ExpressionKind
{
    Int,
    Float,
    Bool,
}

/// <summary>One value of a target expression.</summary>
internal readonly record struct ExpressionValue(ExpressionKind Kind, long Int, double Float, bool Bool)
{
    public bool IsNumber => Kind is ExpressionKind.Int or ExpressionKind.Float;

    public double AsDouble => Kind == ExpressionKind.Int ? Int : Float;

    public string TypeName => Kind switch
    {
        ExpressionKind.Int => "int",
        ExpressionKind.Float => "float",
        _ => "bool",
    };

    public static ExpressionValue Of(long value) => new(ExpressionKind.Int, value, 0, false);

    public static ExpressionValue Of(double value) => new(ExpressionKind.Float, 0, value, false);

    public static ExpressionValue Of(bool value) => new(ExpressionKind.Bool, 0, 0, value);

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>An evaluation error travelling up the tree; caught once, at <see cref="TargetExpression.Evaluate"/>, and returned as a value.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1064:Exceptions should be public", Justification = "Never leaves the assembly: caught where parsing and evaluation return their error values.")]
internal sealed class ExpressionFailure(TargetExpressionError error) : Exception(error.Message)
{
    public TargetExpressionError Error { get; } = error;

    public static ExpressionFailure At(int position, string problem) => new(new TargetExpressionError(problem, position));
}

/// <summary>A node of a parsed target expression; <see cref="Position"/> is the 1-based character it starts at (or its operator's).</summary>
internal abstract record ExpressionNode(int Position)
{
    public abstract ExpressionValue Evaluate(TargetVariables variables);

    protected ExpressionFailure Fail(string problem) => ExpressionFailure.At(Position, problem);

    protected static double Finite(double value, int position) =>
        double.IsFinite(value) ? value : throw ExpressionFailure.At(position, "number overflow");

    protected ExpressionValue Number(ExpressionValue value, string what) =>
        value.IsNumber ? value : throw Fail($"{what} needs a number, got {value.TypeName}");

    protected ExpressionValue Boolean(ExpressionValue value, string what) =>
        value.Kind == ExpressionKind.Bool ? value : throw Fail($"{what} needs a bool, got {value.TypeName}");
}

internal sealed record LiteralNode(int Position, ExpressionValue Value) : ExpressionNode(Position)
{
    public override ExpressionValue Evaluate(TargetVariables variables) => Value;
}

internal sealed record VariableNode(int Position, string Name, Func<TargetVariables, ExpressionValue> Read) : ExpressionNode(Position)
{
    public override ExpressionValue Evaluate(TargetVariables variables) => Read(variables);
}

internal sealed record UnaryNode(int Position, string Operator, ExpressionNode Operand) : ExpressionNode(Position)
{
    public override ExpressionValue Evaluate(TargetVariables variables)
    {
        var value = Operand.Evaluate(variables);
        switch (Operator)
        {
            case "!":
                return ExpressionValue.Of(!Boolean(value, "operator !").Bool);
            case "+":
                return Number(value, "unary +");
            default:
                Number(value, "unary -");
                if (value.Kind == ExpressionKind.Float)
                    return ExpressionValue.Of(-value.Float);
                return value.Int == long.MinValue ? throw Fail("integer overflow") : ExpressionValue.Of(-value.Int);
        }
    }
}

internal sealed record BinaryNode(int Position, string Operator, ExpressionNode Left, ExpressionNode Right) : ExpressionNode(Position)
{
    public override ExpressionValue Evaluate(TargetVariables variables)
    {
        // && and || short-circuit, as in Expr: the right side is not evaluated (nor type-checked) when the left decides.
        if (Operator is "&&" or "||")
        {
            var left = Boolean(Left.Evaluate(variables), $"operator {Operator}").Bool;
            if (Operator == "&&" ? !left : left)
                return ExpressionValue.Of(left);
            return ExpressionValue.Of(Boolean(Right.Evaluate(variables), $"operator {Operator}").Bool);
        }

        var a = Left.Evaluate(variables);
        var b = Right.Evaluate(variables);
        return Operator switch
        {
            "==" => ExpressionValue.Of(AreEqual(a, b)),
            "!=" => ExpressionValue.Of(!AreEqual(a, b)),
            "<" or "<=" or ">" or ">=" => ExpressionValue.Of(Compare(a, b)),
            "/" => Divide(a, b),
            "%" => Modulo(a, b),
            _ => Arithmetic(a, b),
        };
    }

    private bool AreEqual(ExpressionValue a, ExpressionValue b)
    {
        if (a.IsNumber && b.IsNumber)
            return a.Kind == ExpressionKind.Int && b.Kind == ExpressionKind.Int ? a.Int == b.Int : a.AsDouble == b.AsDouble;
        if (a.Kind == ExpressionKind.Bool && b.Kind == ExpressionKind.Bool)
            return a.Bool == b.Bool;
        throw Fail($"operator {Operator} cannot compare {a.TypeName} with {b.TypeName}");
    }

    private bool Compare(ExpressionValue a, ExpressionValue b)
    {
        if (!a.IsNumber || !b.IsNumber)
            throw Fail($"operator {Operator} needs numbers, got {a.TypeName} and {b.TypeName}");
        var order = a.Kind == ExpressionKind.Int && b.Kind == ExpressionKind.Int ? a.Int.CompareTo(b.Int) : a.AsDouble.CompareTo(b.AsDouble);
        return Operator switch
        {
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            _ => order >= 0,
        };
    }

    // Expr's / always gives a float (5 / 2 = 2.5, 4 / 2 = 2.0); unlike Expr, dividing by zero is an error, not Inf.
    private ExpressionValue Divide(ExpressionValue a, ExpressionValue b)
    {
        Operands(a, b);
        if (b.AsDouble == 0)
            throw Fail("division by zero");
        return ExpressionValue.Of(Finite(a.AsDouble / b.AsDouble, Position));
    }

    private ExpressionValue Modulo(ExpressionValue a, ExpressionValue b)
    {
        if (a.Kind != ExpressionKind.Int || b.Kind != ExpressionKind.Int)
            throw Fail($"operator % needs integers, got {a.TypeName} and {b.TypeName}");
        if (b.Int == 0)
            throw Fail("modulo by zero");
        return b.Int == -1 ? ExpressionValue.Of(0L) : ExpressionValue.Of(a.Int % b.Int);
    }

    private ExpressionValue Arithmetic(ExpressionValue a, ExpressionValue b)
    {
        Operands(a, b);
        if (a.Kind == ExpressionKind.Int && b.Kind == ExpressionKind.Int)
        {
            try
            {
                return ExpressionValue.Of(Operator switch
                {
                    "+" => checked(a.Int + b.Int),
                    "-" => checked(a.Int - b.Int),
                    _ => checked(a.Int * b.Int),
                });
            }
            catch (OverflowException)
            {
                throw Fail("integer overflow");
            }
        }

        var x = a.AsDouble;
        var y = b.AsDouble;
        return ExpressionValue.Of(Finite(
            Operator switch
            {
                "+" => x + y,
                "-" => x - y,
                _ => x * y,
            },
            Position));
    }

    private void Operands(ExpressionValue a, ExpressionValue b)
    {
        if (!a.IsNumber || !b.IsNumber)
            throw Fail($"operator {Operator} needs numbers, got {a.TypeName} and {b.TypeName}");
    }
}

internal sealed record ConditionalNode(int Position, ExpressionNode Condition, ExpressionNode WhenTrue, ExpressionNode WhenFalse) : ExpressionNode(Position)
{
    public override ExpressionValue Evaluate(TargetVariables variables) =>
        Boolean(Condition.Evaluate(variables), "the condition of ?:").Bool ? WhenTrue.Evaluate(variables) : WhenFalse.Evaluate(variables);
}

internal sealed record CallNode(int Position, string Function, IReadOnlyList<ExpressionNode> Arguments) : ExpressionNode(Position)
{
    /// <summary>Function name → (least, most) arguments; the parser checks names and counts, so a bad call never reaches a pass.</summary>
    public static readonly IReadOnlyDictionary<string, (int Least, int Most)> Arity = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["clamp"] = (3, 3),
        ["min"] = (1, 16),
        ["max"] = (1, 16),
        ["abs"] = (1, 1),
        ["floor"] = (1, 1),
        ["ceil"] = (1, 1),
        ["round"] = (1, 1),
    };

    public override ExpressionValue Evaluate(TargetVariables variables)
    {
        var values = new ExpressionValue[Arguments.Count];
        for (var i = 0; i < values.Length; i++)
            values[i] = Number(Arguments[i].Evaluate(variables), $"{Function}() argument {i + 1}");

        switch (Function)
        {
            case "clamp":
                if (Order(values[1], values[2]) > 0)
                    throw Fail($"clamp(): min {Show(values[1])} is greater than max {Show(values[2])}");
                return Order(values[0], values[1]) < 0 ? values[1] : Order(values[0], values[2]) > 0 ? values[2] : values[0];
            case "min":
                return values.Aggregate((best, v) => Order(v, best) < 0 ? v : best);
            case "max":
                return values.Aggregate((best, v) => Order(v, best) > 0 ? v : best);
            case "abs":
                if (values[0].Kind == ExpressionKind.Float)
                    return ExpressionValue.Of(Math.Abs(values[0].Float));
                return values[0].Int == long.MinValue ? throw Fail("integer overflow") : ExpressionValue.Of(Math.Abs(values[0].Int));
            default:
                // floor/ceil/round give an integer (Expr gives a float), so their result can feed % and be the target.
                if (values[0].Kind == ExpressionKind.Int)
                    return values[0];
                var rounded = Function switch
                {
                    "floor" => Math.Floor(values[0].Float),
                    "ceil" => Math.Ceiling(values[0].Float),
                    _ => Math.Round(values[0].Float, MidpointRounding.AwayFromZero),
                };
                return rounded is >= long.MinValue and < long.MaxValue ? ExpressionValue.Of((long)rounded) : throw Fail("integer overflow");
        }
    }

    private static int Order(ExpressionValue a, ExpressionValue b) =>
        a.Kind == ExpressionKind.Int && b.Kind == ExpressionKind.Int ? a.Int.CompareTo(b.Int) : a.AsDouble.CompareTo(b.AsDouble);

    private static string Show(ExpressionValue v) => v.Kind == ExpressionKind.Int ? v.Int.ToString(CultureInfo.InvariantCulture) : ExpressionValue.Format(v.Float);
}
