using Lifecycle.Workflows.Prebuilds;
using Xunit;
using static Lifecycle.UnitTests.Prebuilds.PrebuildFacts;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>
/// The target expression (spec B16): scenario 71 through <see cref="PrebuildTarget.Resolve"/>, then the language itself
/// as tables — precedence, every variable, every function, every error with its message and position, the clamp.
/// </summary>
public class TargetExpressionTests
{
    /// <summary>Distinct values for every variable; rates are exact binary fractions so float results compare exactly.</summary>
    private static readonly TargetVariables Vars = new()
    {
        ScheduledTarget = 1,
        Running = 2,
        Eligible = 3,
        Starting = 4,
        Stopping = 5,
        Deleting = 6,
        Expired = 7,
        Hour = 13,
        Weekday = 3,
        Claims = new PresetClaimWindows
        {
            PresetId = Id(1),
            Claims5m = 15,
            Claims10m = 40,
            Claims30m = 75,
            Claims60m = 30,
            Claims120m = 90,
            Misses5m = 21,
            Misses10m = 22,
            Misses30m = 23,
            Misses60m = 24,
            Misses120m = 25,
        },
    };

    private static readonly Dictionary<string, (string Expression, TargetVariables Variables, int Expected)> Values = new(StringComparer.Ordinal)
    {
        // Precedence and associativity.
        ["* before +"] = ("1 + 2 * 3", Vars, 7),
        ["parentheses first"] = ("(1 + 2) * 3", Vars, 9),
        ["- is left-associative"] = ("10 - 4 - 3", Vars, 3),
        ["/ is left-associative"] = ("12 / 4 / 3", Vars, 1),
        ["* and % share a level, left to right"] = ("2 * 3 % 4", Vars, 2),
        ["unary minus binds tighter than +"] = ("-2 + 5", Vars, 3),
        ["double unary minus"] = ("- -3", Vars, 3),
        ["unary plus"] = ("+4", Vars, 4),
        ["arithmetic before comparison before equality"] = ("1 + 1 == 2 ? 4 : 0", Vars, 4),
        ["comparison before equality"] = ("1 < 2 == true ? 6 : 0", Vars, 6),
        ["&& before || (false || (true && false))"] = ("false || true && false ? 1 : 2", Vars, 2),
        ["&& before || (true || (false && false))"] = ("true || false && false ? 1 : 2", Vars, 1),
        ["word operators not/and/or"] = ("not false and (false or true) ? 3 : 4", Vars, 3),
        ["! negates"] = ("!(hour < 9) ? 8 : 9", Vars, 8),
        ["?: is right-associative (first)"] = ("true ? 1 : false ? 2 : 3", Vars, 1),
        ["?: is right-associative (last)"] = ("false ? 1 : false ? 2 : 3", Vars, 3),
        ["?: in a branch"] = ("true ? (false ? 1 : 5) : 3", Vars, 5),
        ["office hours, inside"] = ("hour >= 9 && hour < 18 ? 5 : 1", Vars, 5),
        ["office hours, outside"] = ("hour >= 9 && hour < 18 ? 5 : 1", Vars with { Hour = 18 }, 1),
        ["weekend"] = ("weekday == 0 || weekday == 6 ? 0 : scheduled_target", Vars with { Weekday = 6 }, 0),
        ["the untaken branch is not evaluated"] = ("true ? 10 : 1 / 0", Vars, 10),
        ["&& short-circuits"] = ("false && 1 / 0 > 0 ? 1 : 2", Vars, 2),
        ["|| short-circuits"] = ("true || 1 % 0 > 0 ? 1 : 2", Vars, 1),
        ["int and float compare"] = ("2 == 2.0 && 2 < 2.5 ? 1 : 0", Vars, 1),
        ["!= on bools"] = ("(1 < 2) != false ? 1 : 0", Vars, 1),

        // Literals.
        ["integral float result is accepted"] = ("4 / 2", Vars, 2),
        ["float literal"] = ("2.0", Vars, 2),
        ["leading-dot float"] = (".5 * 4", Vars, 2),
        ["exponent"] = ("1e1", Vars, 10),
        ["digit separators"] = ("1_000 / 100", Vars, 10),
        ["whitespace anywhere"] = ("  \t1\n+\r\n2 ", Vars, 3),

        // Every variable.
        ["scheduled_target"] = ("scheduled_target", Vars, 1),
        ["running"] = ("running", Vars, 2),
        ["eligible"] = ("eligible", Vars, 3),
        ["starting"] = ("starting", Vars, 4),
        ["stopping"] = ("stopping", Vars, 5),
        ["deleting"] = ("deleting", Vars, 6),
        ["expired"] = ("expired", Vars, 7),
        ["hour"] = ("hour", Vars, 13),
        ["weekday"] = ("weekday", Vars, 3),
        ["claims_5m"] = ("claims_5m", Vars, 15),
        ["claims_10m"] = ("claims_10m", Vars, 40),
        ["claims_30m"] = ("claims_30m", Vars, 75),
        ["claims_60m"] = ("claims_60m", Vars, 30),
        ["claims_120m"] = ("claims_120m", Vars, 90),
        ["misses_5m"] = ("misses_5m", Vars, 21),
        ["misses_10m"] = ("misses_10m", Vars, 22),
        ["misses_30m"] = ("misses_30m", Vars, 23),
        ["misses_60m"] = ("misses_60m", Vars, 24),
        ["misses_120m"] = ("misses_120m", Vars, 25),
        ["claim_rate_5m = 15 / 5"] = ("claim_rate_5m", Vars, 3),
        ["claim_rate_10m = 40 / 10"] = ("claim_rate_10m", Vars, 4),
        ["claim_rate_30m = 75 / 30 = 2.5"] = ("claim_rate_30m * 2", Vars, 5),
        ["claim_rate_60m = 30 / 60 = 0.5"] = ("claim_rate_60m * 2", Vars, 1),
        ["claim_rate_120m = 90 / 120 = 0.75"] = ("claim_rate_120m * 4", Vars, 3),
        ["no claim windows read as zero"] = ("claims_5m + misses_120m + claim_rate_60m", Vars with { Claims = null }, 0),

        // Functions.
        ["clamp below"] = ("clamp(running, 5, 9)", Vars, 5),
        ["clamp inside"] = ("clamp(expired, 5, 9)", Vars, 7),
        ["clamp above"] = ("clamp(50, 5, 9)", Vars, 9),
        ["clamp with float bounds"] = ("clamp(3, 3.0, 3.0)", Vars, 3),
        ["min of several"] = ("min(3, 1, 2)", Vars, 1),
        ["max of several"] = ("max(3, 1, 2)", Vars, 3),
        ["min of one"] = ("min(4)", Vars, 4),
        ["abs"] = ("abs(-7)", Vars, 7),
        ["abs of a float"] = ("abs(-2.0)", Vars, 2),
        ["floor"] = ("floor(2.7)", Vars, 2),
        ["ceil"] = ("ceil(2.1)", Vars, 3),
        ["round half away from zero"] = ("round(2.5)", Vars, 3),
        ["round down"] = ("round(2.4)", Vars, 2),
        ["floor gives an integer that % accepts"] = ("floor(claim_rate_30m) % 2", Vars, 0),
        ["floor of an integer"] = ("floor(7)", Vars, 7),
        ["nested calls"] = ("max(min(claims_5m, 10), ceil(claim_rate_120m))", Vars, 10),

        // The clamp of the result to [0, 100].
        ["-1 clamps to 0"] = ("-1", Vars, 0),
        ["0 stays 0"] = ("0", Vars, 0),
        ["100 stays 100"] = ("100", Vars, 100),
        ["101 clamps to 100"] = ("101", Vars, 100),
        ["a huge integral float clamps to 100"] = ("1e300", Vars, 100),
        ["a huge negative integer clamps to 0"] = ("-9223372036854775807", Vars, 0),
    };

    private static readonly Dictionary<string, (string Expression, string Error)> Errors = new(StringComparer.Ordinal)
    {
        // Parse errors: the API refuses these with 400.
        ["empty"] = ("", "is empty"),
        ["blank"] = ("  \t ", "is empty"),
        ["too long"] = (new string('1', TargetExpression.MaximumLength + 1), $"is {TargetExpression.MaximumLength + 1} characters long; the limit is {TargetExpression.MaximumLength}"),
        ["nested too deep (parentheses)"] = (new string('(', 33) + "1" + new string(')', 33), "nested more than 32 deep at 33"),
        ["nested too deep (unary)"] = (new string('-', 40) + "1", "nested more than 32 deep at 33"),
        ["unknown variable"] = ("1 + foo", "unknown variable \"foo\" at 5"),
        ["scenario 71's invalid!!!"] = ("invalid!!!", "unknown variable \"invalid\" at 1"),
        ["variables are case-sensitive"] = ("Running", "unknown variable \"Running\" at 1"),
        ["a window that does not exist"] = ("claims_15m", "unknown variable \"claims_15m\" at 1"),
        ["unknown function"] = ("sqrt(4)", "unknown function \"sqrt\" (known: clamp, min, max, abs, floor, ceil, round) at 1"),
        ["too few arguments"] = ("clamp(1, 2)", "clamp() takes 3 arguments, got 2 at 1"),
        ["too many arguments"] = ("abs(1, 2)", "abs() takes 1 argument, got 2 at 1"),
        ["no arguments"] = ("max()", "max() takes 1 to 16 arguments, got 0 at 1"),
        ["a function used as a variable"] = ("2 * abs", "abs is a function; call it as abs(…) at 5"),
        ["unexpected end"] = ("1 +", "unexpected end of expression at 4"),
        ["unclosed parenthesis"] = ("(1 + 2", "expected ')' closing the '(' at 1, got end of expression at 7"),
        ["unclosed call"] = ("min(1, 2", "expected ')' closing the call of min at 1, got end of expression at 9"),
        ["conditional without :"] = ("running > 1 ? 2", "expected ':' of the conditional at 13, got end of expression at 16"),
        ["two values in a row"] = ("1 2", "unexpected number 2 after a complete expression at 3"),
        ["stray closing parenthesis"] = ("1)", "unexpected ')' after a complete expression at 2"),
        ["operator with no left side"] = ("* 2", "unexpected '*' at 1"),
        ["unexpected character"] = ("1 # 2", "unexpected character '#' at 3"),
        ["single & is not an operator"] = ("true & false", "unexpected character '&' at 6"),
        ["letter glued to a number"] = ("2x", "unexpected character 'x' in the number \"2x\" at 2"),
        ["integer literal out of range"] = ("99999999999999999999", "integer 99999999999999999999 is out of range at 1"),
        ["float literal out of range"] = ("1e999", "number 1e999 is out of range at 1"),

        // Evaluation errors: stored, and the pass falls back to the scheduled target.
        ["division by zero"] = ("running / 0", "division by zero at 9"),
        ["division by a zero float"] = ("1 / 0.0", "division by zero at 3"),
        ["modulo by zero"] = ("running % 0", "modulo by zero at 9"),
        ["modulo of a float"] = ("2.5 % 2", "operator % needs integers, got float and int at 5"),
        ["result not an integer"] = ("5 / 2", "result 2.5 is not an integer (use floor, ceil or round)"),
        ["a rate is a float"] = ("claim_rate_30m", "result 2.5 is not an integer (use floor, ceil or round)"),
        ["result is a bool"] = ("running > 1", "result is a bool, not an integer (use cond ? a : b)"),
        ["arithmetic on a bool"] = ("true + 1", "operator + needs numbers, got bool and int at 6"),
        ["negating a bool"] = ("-true", "unary - needs a number, got bool at 1"),
        ["! on a number"] = ("!1", "operator ! needs a bool, got int at 1"),
        ["&& on a number"] = ("1 && true", "operator && needs a bool, got int at 3"),
        ["condition not a bool"] = ("running ? 1 : 2", "the condition of ?: needs a bool, got int at 9"),
        ["comparing a bool with a number"] = ("1 == true", "operator == cannot compare int with bool at 3"),
        ["ordering bools"] = ("true < false", "operator < needs numbers, got bool and bool at 6"),
        ["a bool argument"] = ("abs(true)", "abs() argument 1 needs a number, got bool at 1"),
        ["clamp with min above max"] = ("clamp(5, 10, 1)", "clamp(): min 10 is greater than max 1 at 1"),
        ["integer overflow"] = ("9223372036854775807 + 1", "integer overflow at 21"),
        ["integer overflow in *"] = ("9223372036854775807 * 2", "integer overflow at 21"),
        ["float overflow"] = ("1e308 * 10", "number overflow at 7"),
        ["floor beyond the integers"] = ("floor(1e300)", "integer overflow at 1"),
    };

    public static TheoryData<string> ValueNames() => [.. Values.Keys];

    public static TheoryData<string> ErrorNames() => [.. Errors.Keys];

    [Theory]
    [InlineData("71 running + 2, base 5, 1 running: 3 from the expression", "running + 2", 5, 1, 0, 0, 3, DesiredSource.Expression, null)]
    [InlineData("71 invalid!!! with base 3: 3 from the fallback, error recorded", "invalid!!!", 3, 1, 0, 0, 3, DesiredSource.ExpressionFallback, "target_expression: unknown variable \"invalid\" at 1")]
    [InlineData("71 running - 100: clamped to 0", "running - 100", 5, 1, 0, 0, 0, DesiredSource.Expression, null)]
    [InlineData("71 scheduled_target + 200: clamped to 100", "scheduled_target + 200", 5, 1, 0, 0, 100, DesiredSource.Expression, null)]
    [InlineData("71 claims_5m + misses_5m with 10 and 3: 13", "claims_5m + misses_5m", 5, 1, 10, 3, 13, DesiredSource.Expression, null)]
    public void Scenario71_expression_target_resolution(string name, string expression, int baseDesired, int running, int claims5m, int misses5m, int desired, DesiredSource source, string? error)
    {
        var preset = Preset(1, baseDesired) with { SchedulingTimeZone = "UTC", TargetExpression = expression };
        var counts = new TargetCounts
        {
            Running = running,
            Eligible = running,
            Claims = new PresetClaimWindows { PresetId = preset.Id, Claims5m = claims5m, Misses5m = misses5m },
        };

        var target = PrebuildTarget.Resolve(preset, [], Now, counts);

        Assert.True(target.Desired == desired, $"{name}: desired {target.Desired}, expected {desired}");
        Assert.Equal(source, target.Source);
        Assert.Equal(error, target.ExpressionError);
        Assert.Equal(baseDesired, target.BaseDesired);
    }

    [Theory]
    [MemberData(nameof(ValueNames))]
    public void Evaluates(string name)
    {
        var (expression, variables, expected) = Values[name];
        var parsed = TargetExpression.Parse(expression);
        Assert.Null(parsed.Error);

        var outcome = parsed.Expression!.Evaluate(variables);

        Assert.Null(outcome.Error);
        Assert.Equal(expected, outcome.Target);
    }

    [Theory]
    [MemberData(nameof(ErrorNames))]
    public void Fails_with_message_and_position(string name)
    {
        var (expression, expected) = Errors[name];
        var parsed = TargetExpression.Parse(expression);
        var error = parsed.Error ?? parsed.Expression!.Evaluate(Vars).Error;

        Assert.NotNull(error);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Every_variable_has_a_value_case()
    {
        foreach (var variable in TargetVariables.Names)
            Assert.Contains(Values.Keys, k => k.StartsWith(variable, StringComparison.Ordinal));
        Assert.Equal(24, TargetVariables.Names.Count());
    }

    [Fact]
    public void The_same_text_is_parsed_once()
    {
        var first = TargetExpression.Parse("running + 3 * eligible");
        var second = TargetExpression.Parse("running + 3 * eligible");

        Assert.Same(first.Expression, second.Expression);
        Assert.Equal("running + 3 * eligible", first.Expression!.Text);
    }

    [Fact]
    public void A_long_flat_sum_at_the_length_limit_parses_and_evaluates()
    {
        // 500 operands: deep as a tree, flat as nesting; the length limit keeps the evaluation's recursion small.
        var text = string.Join("+", Enumerable.Repeat("0", (TargetExpression.MaximumLength + 1) / 2));
        var parsed = TargetExpression.Parse(text);

        Assert.Null(parsed.Error);
        Assert.Equal(0, parsed.Expression!.Evaluate(Vars).Target);
    }

    [Fact]
    public void Nesting_at_the_limit_is_accepted()
    {
        var parsed = TargetExpression.Parse(new string('(', 32) + "7" + new string(')', 32));

        Assert.Null(parsed.Error);
        Assert.Equal(7, parsed.Expression!.Evaluate(Vars).Target);
    }

    [Theory]
    [InlineData("no zone", "", "target_expression: needs scheduling_timezone, an IANA time zone such as \"Europe/Berlin\" (hour and weekday are read in it)")]
    [InlineData("unknown zone", "Mars/Base", "target_expression: needs a valid scheduling_timezone (hour and weekday are read in it): unknown time zone \"Mars/Base\"")]
    public void Without_a_valid_timezone_the_scheduled_target_applies(string name, string zone, string error)
    {
        var preset = Preset(1, desired: 4) with { SchedulingTimeZone = zone, TargetExpression = "running + 2" };

        var target = PrebuildTarget.Resolve(preset, [], Now, new TargetCounts { Running = 1 });

        Assert.True(target.Desired == 4, $"{name}: desired {target.Desired}");
        Assert.Equal(DesiredSource.ExpressionFallback, target.Source);
        Assert.Equal(error, target.ExpressionError);
    }

    [Fact]
    public void Hour_and_weekday_are_read_in_the_preset_zone()
    {
        // 16:00 UTC on Monday 2 June 2025 is 09:00 on Monday in Los Angeles (PDT, UTC−7).
        var preset = Preset(1, desired: 1) with { SchedulingTimeZone = "America/Los_Angeles", TargetExpression = "hour * 10 + weekday" };

        var target = PrebuildTarget.Resolve(preset, [], At("2025-06-02T16:00:00Z"));

        Assert.Equal(91, target.Desired);
    }

    [Fact]
    public void Scheduled_target_is_the_matching_schedule_and_the_source_stays_expression()
    {
        var preset = Preset(1, desired: 1) with { SchedulingTimeZone = "UTC", TargetExpression = "scheduled_target * 2" };

        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 1, "* 9-11 * * 1-5", 3)], Now);

        Assert.Equal(6, target.Desired);
        Assert.Equal(DesiredSource.Expression, target.Source);
        Assert.Equal(Id(31), target.MatchedScheduleId);
    }

    [Fact]
    public void A_failing_expression_falls_back_to_the_matching_schedule()
    {
        var preset = Preset(1, desired: 1) with { SchedulingTimeZone = "UTC", TargetExpression = "running / 0" };

        var target = PrebuildTarget.Resolve(preset, [Schedule(31, 1, "* 9-11 * * 1-5", 3)], Now);

        Assert.Equal(3, target.Desired);
        Assert.Equal(DesiredSource.ExpressionFallback, target.Source);
        Assert.Equal("target_expression: division by zero at 9", target.ExpressionError);
    }

    [Theory]
    [InlineData("no schedules", null, DesiredSource.Default, 2)]
    [InlineData("a matching schedule", "* 9-11 * * 1-5", DesiredSource.Schedule, 3)]
    [InlineData("no matching schedule", "* 20-21 * * *", DesiredSource.Default, 2)]
    public void Without_an_expression_the_source_is_the_schedule_or_the_default(string name, string? cron, DesiredSource source, int desired)
    {
        var preset = Preset(1, desired: 2) with { SchedulingTimeZone = "UTC" };

        var target = PrebuildTarget.Resolve(preset, cron is null ? [] : [Schedule(31, 1, cron, 3)], Now);

        Assert.True(target.Source == source, $"{name}: source {target.Source}");
        Assert.Equal(desired, target.Desired);
        Assert.Null(target.ExpressionError);
    }

    [Fact]
    public void An_inactive_preset_wants_none_whatever_its_expression_says()
    {
        var preset = Preset(1, desired: 2, active: false) with { SchedulingTimeZone = "UTC", TargetExpression = "50" };

        var target = PrebuildTarget.Resolve(preset, [], Now);

        Assert.Equal(0, target.Desired);
        Assert.Equal(DesiredSource.Inactive, target.Source);
    }
}
