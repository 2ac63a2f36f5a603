namespace Lifecycle.Workflows.Prebuilds;

/// <summary>How many prebuilds a preset wants at one instant, and why.</summary>
/// <param name="Desired">The count to reconcile towards.</param>
/// <param name="BaseDesired">The preset's own <c>desired_instances</c> (0 when unset).</param>
/// <param name="MatchedScheduleId">The schedule that set <paramref name="Desired"/>, if one did.</param>
/// <param name="ScheduleProblem">Why the schedules were ignored (field and problem), when they were.</param>
public sealed record DesiredTarget(int Desired, int BaseDesired, Guid? MatchedScheduleId, string? ScheduleProblem);

/// <summary>The desired count of a preset (B14–B17).</summary>
public static class PrebuildTarget
{
    /// <summary>
    /// Inactive presets want none; otherwise the first schedule whose range holds <paramref name="at"/> in the preset's
    /// zone decides, and the base count applies when none does or when the schedules cannot be used.
    /// </summary>
    public static DesiredTarget Resolve(PrebuildPreset preset, IReadOnlyList<PrebuildSchedule> schedules, DateTimeOffset at)
    {
        // A negative count is rejected where it enters; here it can only mean "none".
        var baseDesired = Math.Max(preset.DesiredInstances ?? 0, 0);
        if (!preset.IsActive)
            return new DesiredTarget(0, baseDesired, null, null);
        if (schedules.Count == 0)
            return new DesiredTarget(baseDesired, baseDesired, null, null);
        if (!PrebuildScheduleTable.TryParse(preset.SchedulingTimeZone, schedules, out var table, out var problem))
            return new DesiredTarget(baseDesired, baseDesired, null, $"preset {preset.Id}: schedules ignored, {problem}");

        var match = table!.Matching(at);
        return match is null
            ? new DesiredTarget(baseDesired, baseDesired, null, null)
            : new DesiredTarget(match.DesiredInstances, baseDesired, match.Id, null);
    }
}
