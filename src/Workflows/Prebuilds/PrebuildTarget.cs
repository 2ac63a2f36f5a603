using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>What set a preset's desired count.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DesiredSource>))]
public enum DesiredSource
{
    /// <summary>The preset's own <c>desired_instances</c>: no schedule matched, or the schedules could not be used.</summary>
    [JsonStringEnumMemberName("default")]
    Default,

    /// <summary>A time-of-day schedule (B14).</summary>
    [JsonStringEnumMemberName("schedule")]
    Schedule,

    /// <summary>The preset's target expression (B16).</summary>
    [JsonStringEnumMemberName("expression")]
    Expression,

    /// <summary>The target expression failed (validation or evaluation); the scheduled target applied (B16).</summary>
    [JsonStringEnumMemberName("expression_fallback")]
    ExpressionFallback,

    /// <summary>The preset is not active: desired 0 whatever else says (B17).</summary>
    [JsonStringEnumMemberName("inactive")]
    Inactive,
}

/// <summary>How many prebuilds a preset wants at one instant, and why.</summary>
/// <param name="Desired">The count to reconcile towards.</param>
/// <param name="BaseDesired">The preset's own <c>desired_instances</c> (0 when unset).</param>
/// <param name="MatchedScheduleId">The schedule that set the scheduled target, if one did.</param>
/// <param name="ScheduleProblem">Why the schedules were ignored (field and problem), when they were.</param>
public sealed record DesiredTarget(int Desired, int BaseDesired, Guid? MatchedScheduleId, string? ScheduleProblem)
{
    public DesiredSource Source { get; init; } = DesiredSource.Default;

    /// <summary>Why the target expression was not used (source <see cref="DesiredSource.ExpressionFallback"/>).</summary>
    public string? ExpressionError { get; init; }
}

/// <summary>The counts of a preset at the pass that a target expression reads (B16); the claim windows come from the snapshot.</summary>
public sealed record TargetCounts
{
    public int Running { get; init; }

    public int Eligible { get; init; }

    public int Starting { get; init; }

    public int Stopping { get; init; }

    public int Deleting { get; init; }

    public int Expired { get; init; }

    public PresetClaimWindows? Claims { get; init; }
}

/// <summary>The desired count of a preset (B14–B17).</summary>
public static class PrebuildTarget
{
    /// <summary>
    /// Inactive presets want none (B17, over everything). Otherwise the scheduled target: the first schedule whose range
    /// holds <paramref name="at"/> in the preset's zone, or the base count when none does or the schedules cannot be
    /// used (B14). A target expression then overrides it (B16), evaluated with <paramref name="counts"/> (zero when
    /// null) and the local hour and weekday; any error falls back to the scheduled target.
    /// </summary>
    public static DesiredTarget Resolve(PrebuildPreset preset, IReadOnlyList<PrebuildSchedule> schedules, DateTimeOffset at, TargetCounts? counts = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        if (!preset.IsActive)
            return new DesiredTarget(0, Math.Max(preset.DesiredInstances ?? 0, 0), null, null) { Source = DesiredSource.Inactive };
        var scheduled = Scheduled(preset, schedules, at);
        if (preset.TargetExpression is null)
            return scheduled;

        if (!TryExpression(preset, scheduled.Desired, at, counts ?? new TargetCounts(), out var desired, out var error))
            return scheduled with { Source = DesiredSource.ExpressionFallback, ExpressionError = $"target_expression: {error}" };
        return scheduled with { Desired = desired, Source = DesiredSource.Expression };
    }

    /// <summary>
    /// B16's timezone rule, shared with the API: an expression needs <c>scheduling_timezone</c> to be a non-empty IANA
    /// zone name this machine knows (the rule schedules use), because <c>hour</c> and <c>weekday</c> are read in it.
    /// Null when the zone is valid, else the problem.
    /// </summary>
    public static string? ExpressionTimeZoneProblem(string? timeZone) => ExpressionZone(timeZone, out _);

    // The zone is looked up once per evaluation: the problem for the API, the zone for hour and weekday.
    private static string? ExpressionZone(string? timeZone, out TimeZoneInfo? zone)
    {
        zone = null;
        if (string.IsNullOrWhiteSpace(timeZone))
            return "needs scheduling_timezone, an IANA time zone such as \"Europe/Berlin\" (hour and weekday are read in it)";
        try
        {
            zone = PrebuildScheduleTable.ParseTimeZone(timeZone);
            return null;
        }
        catch (PrebuildScheduleException e)
        {
            return $"needs a valid scheduling_timezone (hour and weekday are read in it): {e.Problem}";
        }
    }

    private static DesiredTarget Scheduled(PrebuildPreset preset, IReadOnlyList<PrebuildSchedule> schedules, DateTimeOffset at)
    {
        // A negative count is rejected where it enters; here it can only mean "none".
        var baseDesired = Math.Max(preset.DesiredInstances ?? 0, 0);
        if (schedules.Count == 0)
            return new DesiredTarget(baseDesired, baseDesired, null, null);
        if (!PrebuildScheduleTable.TryParse(preset.SchedulingTimeZone, schedules, out var table, out var problem))
            return new DesiredTarget(baseDesired, baseDesired, null, $"preset {preset.Id}: schedules ignored, {problem}");

        var match = table!.Matching(at);
        return match is null
            ? new DesiredTarget(baseDesired, baseDesired, null, null)
            : new DesiredTarget(match.DesiredInstances, baseDesired, match.Id, null) { Source = DesiredSource.Schedule };
    }

    private static bool TryExpression(PrebuildPreset preset, int scheduledTarget, DateTimeOffset at, TargetCounts counts, out int desired, out string? error)
    {
        desired = 0;
        if (ExpressionZone(preset.SchedulingTimeZone, out var zone) is { } zoneProblem)
        {
            error = zoneProblem;
            return false;
        }

        var parsed = TargetExpression.Parse(preset.TargetExpression);
        if (parsed.Expression is null)
        {
            error = parsed.Error!.Message;
            return false;
        }

        var local = TimeZoneInfo.ConvertTime(at, zone!);
        var outcome = parsed.Expression.Evaluate(new TargetVariables
        {
            ScheduledTarget = scheduledTarget,
            Running = counts.Running,
            Eligible = counts.Eligible,
            Starting = counts.Starting,
            Stopping = counts.Stopping,
            Deleting = counts.Deleting,
            Expired = counts.Expired,
            Claims = counts.Claims,
            Hour = local.Hour,
            Weekday = (int)local.DayOfWeek,
        });
        error = outcome.Error?.Message;
        desired = outcome.Target;
        return outcome.Error is null;
    }
}
