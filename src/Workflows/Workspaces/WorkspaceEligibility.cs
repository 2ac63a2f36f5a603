namespace Lifecycle.Workflows.Workspaces;

/// <summary>
/// The lifecycle rules as small named predicates (spec/lifecycle.md A11–A15, A30), each with the spec's exact
/// comparison: deadlines and autostarts are due AT their instant (inclusive); failure TTL, dormancy and
/// auto-delete are due only AFTER their threshold (strict). None applies to unclaimed prebuilds, deleted
/// workspaces, or while a build is still queued, running or being canceled.
/// </summary>
public static class WorkspaceEligibility
{
    /// <summary>The rules look at this workspace at all.</summary>
    public static bool IsManaged(WorkspaceFacts f) => !f.IsPrebuild && !f.IsDeleted && !f.LatestBuild.InFlight;

    /// <summary>A11: a started, non-failed, non-dormant workspace whose owner is suspended or whose deadline has come (now ≥ deadline).</summary>
    public static bool IsEligibleForAutostop(WorkspaceFacts f, DateTimeOffset now)
    {
        var build = f.LatestBuild;
        if (!IsManaged(f) || build.Status == BuildStatus.Failed || f.Workspace.DormantAt is not null || build.Transition != BuildTransition.Start)
            return false;
        if (f.OwnerStatus == OwnerStatus.Suspended)
            return true;
        return build.Deadline is { } deadline && now >= deadline;
    }

    /// <summary>
    /// A12: an active owner's stopped, non-failed, non-dormant workspace with a usable schedule the template lets
    /// users set, once now ≥ the first allowed autostart after the stop build was created (equality counts) and
    /// now ≥ <c>next_start_at</c> (Coder's pre-filter arm; it keeps a schedule edited after a stop from starting at once).
    /// </summary>
    public static bool IsEligibleForAutostart(WorkspaceFacts f, DateTimeOffset now) =>
        AutostartDueAt(f) is { } due && now >= due;

    /// <summary>A13: the last start or stop failed and finished more than the template's failure TTL ago (strict).</summary>
    public static bool IsEligibleForFailedStop(WorkspaceFacts f, DateTimeOffset now) =>
        FailedStopThreshold(f) is { } threshold && now > threshold;

    /// <summary>A14: a non-dormant workspace unused for more than the template's time-til-dormant (strict).</summary>
    public static bool IsEligibleForDormancy(WorkspaceFacts f, DateTimeOffset now) =>
        DormancyThreshold(f) is { } threshold && now > threshold;

    /// <summary>
    /// A15: a dormant workspace past its deleting-at (strict) under a template with auto-delete on; after a failed
    /// delete, only once that job finished more than 24 hours ago (strict).
    /// </summary>
    public static bool IsEligibleForAutoDelete(WorkspaceFacts f, DateTimeOffset now)
    {
        if (!AutoDeleteApplies(f, out var deletingAt))
            return false;
        var build = f.LatestBuild;
        if (build.Transition == BuildTransition.Delete && build.Status == BuildStatus.Failed)
            return build.FinishedAt is { } finished && now > deletingAt && now - finished > LifecycleConstants.FailedDeleteRetryAfter;
        return now > deletingAt;
    }

    /// <summary>
    /// A30: a one-time reminder when deadline − lead ≤ now &lt; deadline, not yet sent for this deadline, unless the
    /// owner is active (used within 15 min), bumps are on and no max deadline traps the stop inside the window.
    /// </summary>
    public static bool ShouldRemindAutostop(WorkspaceFacts f, DateTimeOffset now)
    {
        if (!ReminderApplies(f, out var deadline, out var lead))
            return false;
        if (now >= deadline || deadline > now + lead)
            return false;
        return !ReminderSuppressed(f, now, lead);
    }

    internal static bool ReminderSuppressed(WorkspaceFacts f, DateTimeOffset now, TimeSpan lead)
    {
        var userActive = now - f.Workspace.LastUsedAt < LifecycleConstants.ReminderActiveThreshold;
        var bumpEnabled = f.Template.ActivityBump > TimeSpan.Zero;
        var maxDeadlineTraps = f.LatestBuild.MaxDeadline is { } max && max <= now + lead;
        return userActive && bumpEnabled && !maxDeadlineTraps;
    }

    /// <summary>The instant from which autostart is due, or null when the workspace cannot autostart as things stand.</summary>
    internal static DateTimeOffset? AutostartDueAt(WorkspaceFacts f)
    {
        var build = f.LatestBuild;
        var ws = f.Workspace;
        if (!IsManaged(f) || f.OwnerStatus != OwnerStatus.Active || build.Status == BuildStatus.Failed || ws.DormantAt is not null
            || build.Transition != BuildTransition.Stop || !f.Template.AllowUserAutostart || ws.NextStartAt is not { } nextStartAt)
        {
            return null;
        }

        var schedule = Autostart.TryParse(ws.AutostartSchedule);
        if (schedule is null || Autostart.NextAllowed(build.CreatedAt, schedule, f.Template.AutostartAllowedDays) is not { } fromBuild)
            return null;
        return fromBuild > nextStartAt ? fromBuild : nextStartAt;
    }

    internal static DateTimeOffset? FailedStopThreshold(WorkspaceFacts f)
    {
        var build = f.LatestBuild;
        if (!IsManaged(f) || f.Template.FailureTtl <= TimeSpan.Zero || build.Status != BuildStatus.Failed
            || build.Transition is not (BuildTransition.Start or BuildTransition.Stop) || build.CompletedAt is not { } completed)
        {
            return null;
        }

        return completed + f.Template.FailureTtl;
    }

    internal static DateTimeOffset? DormancyThreshold(WorkspaceFacts f) =>
        IsManaged(f) && f.Workspace.DormantAt is null && f.Template.TimeTilDormant > TimeSpan.Zero
            ? f.Workspace.LastUsedAt + f.Template.TimeTilDormant
            : null;

    internal static bool AutoDeleteApplies(WorkspaceFacts f, out DateTimeOffset deletingAt)
    {
        deletingAt = default;
        if (!IsManaged(f) || f.Workspace.DormantAt is null || f.Workspace.DeletingAt is not { } at || f.Template.TimeTilDormantAutodelete <= TimeSpan.Zero)
            return false;
        deletingAt = at;
        return true;
    }

    internal static bool ReminderApplies(WorkspaceFacts f, out DateTimeOffset deadline, out TimeSpan lead)
    {
        deadline = default;
        lead = f.Template.TimeTilAutostopNotify;
        var build = f.LatestBuild;
        if (!IsManaged(f) || lead <= TimeSpan.Zero || build.Transition != BuildTransition.Start || build.Deadline is not { } d)
            return false;
        deadline = d;
        return build.NotifiedAutostopDeadline != d;
    }
}
