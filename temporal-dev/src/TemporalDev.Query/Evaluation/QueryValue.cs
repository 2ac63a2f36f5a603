using System.Globalization;
using System.Text.RegularExpressions;
using Temporalio.Api.Enums.V1;
using TemporalDev.Query.Language;
using TemporalDev.Query.SearchAttributes;

namespace TemporalDev.Query.Evaluation;

/// <summary>
/// Literal checking and comparison of typed values, with the real server's rules: numbers for Int and
/// Double, RFC 3339 strings or Unix nanoseconds for Datetime, status names for ExecutionStatus.
/// </summary>
public static partial class QueryValue
{
    private static readonly string[] StatusNames =
        ["Unspecified", "Running", "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut", "Paused"];

    /// <summary>Converts a literal into the value it is compared as, or throws the real server's error.</summary>
    public static object Convert(Literal literal, SearchAttributeDefinition attribute, string alias)
    {
        object raw = literal.Kind switch
        {
            TokenKind.String => literal.Text,
            TokenKind.Integer when long.TryParse(literal.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
            TokenKind.Integer or TokenKind.Float => double.Parse(literal.Text, NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => literal.Text == "true",
        };
        if (attribute.Name == "ExecutionStatus")
        {
            return ExecutionStatus(raw, literal.Position);
        }
        if (attribute.Name == "ExecutionDuration")
        {
            return ExecutionDuration(raw, literal.Position);
        }
        var mismatch = new QueryException(
            $"invalid expression: invalid value type for search attribute {alias} of type {SearchAttributeTypes.NameOf(attribute.Type)}: {GoSyntax(raw)} (type: {GoType(raw)})",
            literal.Position);
        return attribute.Type switch
        {
            IndexedValueType.Int or IndexedValueType.Double => raw is long or double ? raw : throw mismatch,
            IndexedValueType.Bool => raw is bool ? raw : throw mismatch,
            IndexedValueType.Datetime => raw switch
            {
                long nanos => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100),
                string s => ParseDatetime(s, literal.Position),
                _ => throw mismatch,
            },
            _ => raw is string ? raw : throw mismatch,
        };
    }

    /// <summary>Brings a record's value to the representation literals use (long, double, DateTimeOffset, string…).</summary>
    public static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, d.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : d.Kind)),
        WorkflowExecutionStatus status => StatusName(status),
        _ => value,
    };

    /// <summary>The short name the query language uses for a status ("Running", "ContinuedAsNew"…).</summary>
    public static string StatusName(WorkflowExecutionStatus status) =>
        (int)status >= 0 && (int)status < StatusNames.Length ? StatusNames[(int)status] : status.ToString();

    /// <summary>Orders two non-null values of one attribute type; null when they cannot be ordered.</summary>
    public static int? Compare(object left, object right)
    {
        return (left, right) switch
        {
            (string a, string b) => Math.Sign(string.CompareOrdinal(a, b)),
            (long a, long b) => a.CompareTo(b),
            (long or double, long or double) => System.Convert.ToDouble(left, CultureInfo.InvariantCulture)
                .CompareTo(System.Convert.ToDouble(right, CultureInfo.InvariantCulture)),
            (DateTimeOffset a, DateTimeOffset b) => a.CompareTo(b),
            (bool a, bool b) => a.CompareTo(b),
            _ => null,
        };
    }

    private static string ExecutionStatus(object raw, int position)
    {
        switch (raw)
        {
            case long number when number >= 0 && number < StatusNames.Length:
                return StatusNames[number];
            case long number:
                throw new QueryException($"invalid expression: invalid ExecutionStatus value {number}", position);
            case string name:
                const string protoPrefix = "WORKFLOW_EXECUTION_STATUS_";
                foreach (var status in StatusNames)
                {
                    if (name == status || name == protoPrefix + ToScreamingSnake(status))
                    {
                        return status;
                    }
                }
                throw new QueryException($"invalid expression: invalid ExecutionStatus value '{name}'", position);
            default:
                throw new QueryException($"invalid expression: unexpected value type {GoType(raw)} for search attribute ExecutionStatus", position);
        }
    }

    // ExecutionDuration is stored in nanoseconds; queries may also write "1h30m", "2d" or "01:30:00".
    private static long ExecutionDuration(object raw, int position)
    {
        switch (raw)
        {
            case long nanos:
                return nanos;
            case string text when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nanos):
                return nanos;
            case string text when DurationText().Match(text) is { Success: true } match:
                double ticks = 0;
                for (var i = 0; i < match.Groups["n"].Captures.Count; i++)
                {
                    var number = double.Parse(match.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
                    ticks += number * match.Groups["u"].Captures[i].Value switch
                    {
                        "ns" => 0.01,
                        "us" or "µs" => 10,
                        "ms" => TimeSpan.TicksPerMillisecond,
                        "s" => TimeSpan.TicksPerSecond,
                        "m" => TimeSpan.TicksPerMinute,
                        "h" => TimeSpan.TicksPerHour,
                        _ => TimeSpan.TicksPerDay,
                    };
                }
                return (long)Math.Round(ticks * 100) * (match.Groups["sign"].Value == "-" ? -1 : 1);
            case string text when ClockText().Match(text) is { Success: true } clock:
                return new TimeSpan(int.Parse(clock.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(clock.Groups[2].Value, CultureInfo.InvariantCulture),
                    int.Parse(clock.Groups[3].Value, CultureInfo.InvariantCulture)).Ticks * 100;
            case string text:
                throw new QueryException($"invalid expression: invalid duration value for search attribute ExecutionDuration: {text}", position);
            default:
                throw new QueryException($"invalid expression: unexpected value type {GoType(raw)} for search attribute ExecutionDuration", position);
        }
    }

    [GeneratedRegex(@"^(?<sign>[-+]?)(?:(?<n>\d+(?:\.\d*)?|\.\d+)(?<u>ns|us|µs|ms|s|m|h|d))+$")]
    private static partial Regex DurationText();

    [GeneratedRegex(@"^(\d+):([0-5]\d):([0-5]\d)$")]
    private static partial Regex ClockText();

    private static DateTimeOffset ParseDatetime(string text, int position)
    {
        // RFC 3339 requires a date, a time and an offset (or Z), as Go's time.RFC3339Nano does.
        if (text.Length >= 20 && text[10] is 'T' or 't'
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            && (text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-'))
        {
            return parsed.ToUniversalTime();
        }
        throw new QueryException($"invalid expression: unable to parse datetime '{text}'", position);
    }

    private static string ToScreamingSnake(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    private static string GoSyntax(object raw) => raw switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => System.Convert.ToString(raw, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static string GoType(object raw) => raw switch
    {
        string => "string",
        long => "int64",
        double => "float64",
        bool => "bool",
        _ => raw.GetType().Name,
    };
}
