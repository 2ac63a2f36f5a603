namespace Lifecycle.Workflows.Workspaces;

/// <summary>A build's autostop times; null fields mean "none". <see cref="Error"/> is set when they cannot be computed.</summary>
public sealed record AutostopTimes(DateTimeOffset? Deadline, DateTimeOffset? MaxDeadline, string? Error = null)
{
    public static AutostopTimes None { get; } = new(null, null);
}

/// <summary>
/// Deadline and max deadline of a start build at its completion (spec A28, Coder's CalculateAutostop), and
/// their recomputation when the template's policy changes (A29).
/// </summary>
public static class AutostopCalculation
{
    /// <summary>
    /// The times for a build of <paramref name="transition"/> completed at <paramref name="now"/>: only starts
    /// get a deadline. <paramref name="quietHoursSchedule"/> is the owner's daily quiet-hours cron (null when
    /// quiet hours are not available, which means no max deadline).
    /// </summary>
    public static AutostopTimes AtCompletion(
        BuildTransition transition,
        DateTimeOffset now,
        WorkspaceSettings workspace,
        TemplateSchedulePolicy template,
        string? quietHoursSchedule)
    {
        if (transition != BuildTransition.Start)
            return AutostopTimes.None;

        var ttl = EffectiveTtl(workspace, template);
        DateTimeOffset? deadline = null;
        if (ttl > TimeSpan.Zero)
        {
            deadline = now + ttl;

            // Issue #12864: a late manual start must not stop shortly after the next morning's autostart; the
            // deadline then counts from that autostart, as if the workspace had autostarted.
            if (template.AllowUserAutostart && Autostart.TryParse(workspace.AutostartSchedule) is { } schedule
                && Autostart.Next(now, schedule, template.AutostartAllowedDays) is { Allowed: true } next
                && deadline > next.At)
            {
                deadline = next.At + ttl;
            }
        }

        DateTimeOffset? maxDeadline = null;
        if (template.AutostopRequirement.DaysOfWeek != Weekdays.None && !string.IsNullOrWhiteSpace(quietHoursSchedule))
        {
            CronSchedule quietHours;
            try
            {
                quietHours = CronSchedule.ParseDaily(quietHoursSchedule);
            }
            catch (ScheduleFormatException e)
            {
                return new AutostopTimes(deadline, null, e.Message);
            }

            var (max, error) = RequirementMaxDeadline(now, template.AutostopRequirement, quietHours);
            if (error is not null)
                return new AutostopTimes(deadline, null, error);
            maxDeadline = max;
        }

        if (maxDeadline is { } m && (deadline is null || m < deadline))
            deadline = m;
        if (deadline < now || maxDeadline < now)
            return new AutostopTimes(deadline, maxDeadline, $"computed deadline {deadline:O} or max deadline {maxDeadline:O} is before the build's completion {now:O}");
        return new AutostopTimes(deadline, maxDeadline);
    }

    /// <summary>The TTL that applies: the workspace's own, or the template default when users may not set it.</summary>
    public static TimeSpan EffectiveTtl(WorkspaceSettings workspace, TemplateSchedulePolicy template)
    {
        var ttl = template.AllowUserAutostop ? workspace.Ttl ?? TimeSpan.Zero : template.DefaultTtl;
        return ttl > TimeSpan.Zero ? ttl : TimeSpan.Zero;
    }

    /// <summary>
    /// A29: new times for a running build after the template's policy changed at <paramref name="now"/>.
    /// Builds already within the 2-hour grace of their max deadline keep their times; a new max deadline is
    /// never earlier than now + 2 h; the existing deadline is clamped to it (or set to it when there was none).
    /// </summary>
    public static AutostopTimes AfterTemplateChange(
        LatestBuild build,
        DateTimeOffset now,
        WorkspaceSettings workspace,
        TemplateSchedulePolicy template,
        string? quietHoursSchedule)
    {
        var unchanged = new AutostopTimes(build.Deadline, build.MaxDeadline);
        if (build.MaxDeadline is { } oldMax && oldMax < now + LifecycleConstants.TemplateChangeGrace)
            return unchanged;
        if (build.Transition != BuildTransition.Start || build.Status != BuildStatus.Succeeded || build.CompletedAt is not { } completed)
            return unchanged;

        // Builds completed around the epoch cannot be placed in an autostop-requirement week.
        if (completed < new DateTimeOffset(LifecycleConstants.AutostopRequirementEpoch.AddDays(7), TimeOnly.MinValue, TimeSpan.Zero))
            return unchanged;

        var fresh = AtCompletion(BuildTransition.Start, completed, workspace, template, quietHoursSchedule);
        if (fresh.Error is not null)
            return unchanged with { Error = fresh.Error };

        var max = fresh.MaxDeadline;
        if (max is { } m && m < now + LifecycleConstants.TemplateChangeGrace)
            max = now + LifecycleConstants.TemplateChangeGrace;

        var deadline = build.Deadline;
        if (max is { } cap && (deadline is null || deadline > cap))
            deadline = cap;
        return new AutostopTimes(deadline, max);
    }

    /// <summary>
    /// The max deadline from an autostop requirement: the owner's quiet hours on the first required day (in the
    /// quiet-hours zone) that is at least the 2-hour leeway away, in a week whose index since the epoch Monday
    /// is divisible by the requirement's weeks.
    /// </summary>
    public static (DateTimeOffset? MaxDeadline, string? Error) RequirementMaxDeadline(
        DateTimeOffset now, AutostopRequirement requirement, CronSchedule quietHours)
    {
        var zone = quietHours.Zone;
        var stopDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now + LifecycleConstants.AutostopRequirementLeeway, zone).DateTime);

        if (requirement.Weeks > 1)
        {
            var (monday, error) = NextApplicableMonday(stopDay, requirement.Weeks);
            if (error is not null)
                return (null, error);
            stopDay = monday;
        }

        // Skip the first day when its quiet hours are already too close (or past).
        var firstCheck = quietHours.Next(Midnight(stopDay, zone) + LifecycleConstants.AutostopRequirementBuffer);
        if (firstCheck is null || firstCheck < now + LifecycleConstants.AutostopRequirementLeeway)
            stopDay = stopDay.AddDays(1);

        var found = false;
        for (var i = 0; i < 7; i++)
        {
            if (requirement.DaysOfWeek.Includes(stopDay.DayOfWeek))
            {
                found = true;
                break;
            }

            stopDay = stopDay.AddDays(1);
        }

        if (!found)
            return (null, "autostop requirement: no required day within the next 7 days");

        var midnight = Midnight(stopDay, zone);
        var checkTime = midnight < now + LifecycleConstants.AutostopRequirementMinimum
            ? now + LifecycleConstants.AutostopRequirementMinimum
            : midnight + LifecycleConstants.AutostopRequirementBuffer;
        var max = quietHours.Next(checkTime);
        return max is null
            ? (null, $"autostop requirement: quiet hours \"{quietHours.Text}\" have no occurrence after {checkTime:O}")
            : (max, null);
    }

    /// <summary>Whole weeks since the epoch Monday 2023-01-02 (counted in local calendar days, so DST never shifts a week).</summary>
    public static (long Weeks, string? Error) WeeksSinceEpoch(DateOnly day)
    {
        var days = day.DayNumber - LifecycleConstants.AutostopRequirementEpoch.DayNumber;
        return days < 0
            ? (0, $"system clock is incorrect: {day:yyyy-MM-dd} is before the autostop requirement epoch {LifecycleConstants.AutostopRequirementEpoch:yyyy-MM-dd}")
            : (days / 7, null);
    }

    /// <summary>The day itself when its week is divisible by <paramref name="weeks"/>, else the Monday of the next such week.</summary>
    public static (DateOnly Day, string? Error) NextApplicableMonday(DateOnly day, int weeks)
    {
        var (week, error) = WeeksSinceEpoch(day);
        if (error is not null)
            return (day, error);
        var remainder = week % weeks;
        if (remainder == 0)
            return (day, null);
        return (LifecycleConstants.AutostopRequirementEpoch.AddDays((int)((week + weeks - remainder) * 7)), null);
    }

    /// <summary>The first instant of a local calendar day (one hour later where midnight is skipped by DST).</summary>
    internal static DateTimeOffset Midnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
            local = local.AddMinutes(30);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
