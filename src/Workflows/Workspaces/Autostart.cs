namespace Lifecycle.Workflows.Workspaces;

/// <summary>One cron occurrence of an autostart schedule and whether the template allows starting on its day.</summary>
public readonly record struct AutostartOccurrence(DateTimeOffset At, bool Allowed);

/// <summary>Autostart times: the next cron occurrence, the next one on an allowed day, and <c>next_start_at</c>.</summary>
public static class Autostart
{
    private static readonly TimeSpan SearchWindow = TimeSpan.FromDays(7);

    /// <summary>
    /// The next occurrence strictly after <paramref name="at"/>; allowed iff its weekday, in the schedule's own
    /// zone, is one of <paramref name="allowedDays"/>. Null when the schedule has no further occurrence.
    /// </summary>
    public static AutostartOccurrence? Next(DateTimeOffset at, CronSchedule schedule, Weekdays allowedDays)
    {
        var next = schedule.Next(at);
        if (next is null)
            return null;
        return new AutostartOccurrence(next.Value, allowedDays.Includes(schedule.LocalDayOfWeek(next.Value)));
    }

    /// <summary>
    /// The first allowed occurrence after <paramref name="at"/> within 7 days of it (a weekly schedule repeats
    /// within a week); null when the schedule never falls on an allowed day.
    /// </summary>
    public static DateTimeOffset? NextAllowed(DateTimeOffset at, CronSchedule schedule, Weekdays allowedDays)
    {
        var cursor = at;
        while (cursor - at < SearchWindow)
        {
            var next = Next(cursor, schedule, allowedDays);
            if (next is null)
                return null;
            if (next.Value.Allowed)
                return next.Value.At;
            cursor = next.Value.At;
        }

        return null;
    }

    /// <summary>As <see cref="NextAllowed(DateTimeOffset, CronSchedule, Weekdays)"/> from schedule text; null when the text is not a valid schedule.</summary>
    public static DateTimeOffset? NextAllowed(DateTimeOffset at, string? scheduleText, Weekdays allowedDays) =>
        TryParse(scheduleText) is { } schedule ? NextAllowed(at, schedule, allowedDays) : null;

    /// <summary>
    /// The <c>next_start_at</c> to store at <paramref name="now"/>: after a build succeeds, when the schedule or the
    /// template's allowed days change, or when the cached value is missing. Null without a usable schedule.
    /// </summary>
    public static DateTimeOffset? NextStartAt(DateTimeOffset now, string? scheduleText, TemplateSchedulePolicy template) =>
        NextAllowed(now, scheduleText, template.AutostartAllowedDays);

    /// <summary>The schedule, or null when the text is empty or invalid (an invalid stored schedule never fires).</summary>
    public static CronSchedule? TryParse(string? scheduleText) =>
        !string.IsNullOrWhiteSpace(scheduleText) && CronSchedule.TryParseWeekly(scheduleText, out var schedule, out _) ? schedule : null;
}
