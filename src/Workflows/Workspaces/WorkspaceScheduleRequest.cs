namespace Lifecycle.Workflows.Workspaces;

/// <summary>
/// Scheduling fields a user asks for, validated against the template's policy: on workspace creation, on a
/// claim of a prebuild (prebuilds.md B30), and on a schedule change.
/// </summary>
public static class WorkspaceScheduleRequest
{
    /// <summary>
    /// The TTL to store: none or zero asks for the template default; otherwise it is truncated to whole minutes
    /// and must be within 1 minute .. 30 days. When users may not set autostop, the template default always wins.
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming <c>ttl</c> when out of range.
    /// </summary>
    public static TimeSpan? ValidTtl(TimeSpan? requested, TemplateSchedulePolicy template)
    {
        var templateDefault = template.DefaultTtl > TimeSpan.Zero ? template.DefaultTtl : (TimeSpan?)null;
        if (!template.AllowUserAutostop || requested is null || requested == TimeSpan.Zero)
            return templateDefault;

        var truncated = TimeSpan.FromMinutes(Math.Floor(requested.Value.TotalMinutes));
        if (truncated < LifecycleConstants.MinimumTtl)
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "ttl must be at least 1 minute");
        if (truncated > LifecycleConstants.MaximumTtl)
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "ttl must be at most 30 days");
        return truncated;
    }

    /// <summary>The canonical schedule text to store (always with CRON_TZ), or null for none; throws <see cref="ScheduleFormatException"/>.</summary>
    public static string? ValidSchedule(string? requested) =>
        string.IsNullOrWhiteSpace(requested) ? null : CronSchedule.ParseWeekly(requested).Text;

    /// <summary>
    /// B30: the workspace fields a claim writes at <paramref name="now"/> in the same transaction as the owner
    /// and name: schedule, TTL, next start, last used = now, and dormancy cleared.
    /// </summary>
    public static WorkspaceSettings ForClaim(
        DateTimeOffset now, string? schedule, TimeSpan? ttl, AutomaticUpdates automaticUpdates, TemplateSchedulePolicy template)
    {
        var validSchedule = ValidSchedule(schedule);
        return new WorkspaceSettings
        {
            AutostartSchedule = validSchedule,
            Ttl = ValidTtl(ttl, template),
            LastUsedAt = now,
            DormantAt = null,
            DeletingAt = null,
            AutomaticUpdates = automaticUpdates,
            NextStartAt = Autostart.NextStartAt(now, validSchedule, template),
        };
    }

    /// <summary>
    /// The running build's deadline after the owner changes the TTL at <paramref name="now"/>: clearing the TTL
    /// clears the deadline (the workspace then stops only at its max deadline, if any); a new TTL leaves the
    /// stamped deadline alone, as in Coder, where only the next build uses it.
    /// </summary>
    public static DateTimeOffset? DeadlineAfterTtlChange(LatestBuild build, TimeSpan? ttl, DateTimeOffset now)
    {
        if (build.Transition != BuildTransition.Start || build.Status != BuildStatus.Succeeded || ttl is not null)
            return build.Deadline;
        return build.MaxDeadline is { } max && max > now ? max : null;
    }
}
