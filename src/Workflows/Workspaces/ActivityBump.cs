namespace Lifecycle.Workflows.Workspaces;

/// <summary>
/// Activity bump (spec A30a, Coder's ActivityBumpWorkspace): activity on a running workspace pushes its deadline
/// to now + the template's bump, capped at the max deadline; the deadline never decreases.
/// </summary>
public static class ActivityBump
{
    /// <summary>
    /// The new deadline after activity at <paramref name="now"/>, or null when the deadline does not move: not a
    /// completed start, bumps off, no deadline (manual stop only), throttled (less than 5% of the bump has
    /// elapsed since the deadline was set), or already at the cap. When the bump would pass the next allowed
    /// autostart, it counts as that autostart instead: deadline = next autostart + TTL.
    /// </summary>
    public static DateTimeOffset? NewDeadline(
        DateTimeOffset now, LatestBuild build, WorkspaceSettings workspace, TemplateSchedulePolicy template)
    {
        if (build.Transition != BuildTransition.Start || build.CompletedAt is null || template.ActivityBump <= TimeSpan.Zero
            || build.Deadline is not { } deadline)
        {
            return null;
        }

        var interval = template.ActivityBump;
        if (template.AllowUserAutostart && Autostart.TryParse(workspace.AutostartSchedule) is { } schedule
            && Autostart.Next(now, schedule, template.AutostartAllowedDays) is { Allowed: true } next
            && next.At > now && now + interval > next.At)
        {
            var ttl = template.AllowUserAutostop ? workspace.Ttl ?? TimeSpan.Zero : template.DefaultTtl;
            interval = next.At - now + ttl;
        }

        if (interval <= TimeSpan.Zero || deadline - (interval * 0.95) >= now)
            return null;

        var bumped = now + interval > deadline ? now + interval : deadline;
        if (build.MaxDeadline is { } max && bumped > max)
            bumped = max;
        return bumped > deadline ? bumped : null;
    }
}
