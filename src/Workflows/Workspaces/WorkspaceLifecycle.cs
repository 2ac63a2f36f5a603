using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Workspaces;

/// <summary>Which lifecycle rule decided, in priority order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LifecycleRule>))]
public enum LifecycleRule
{
    None,
    Autostop,
    Autostart,
    FailedStop,
    Dormancy,
    AutoDelete,
    AutostopReminder,
}

/// <summary>
/// What to do with a workspace now. <see cref="Transition"/> null means no build (nothing due, dormancy mark
/// only, or a reminder). <see cref="NextStartAt"/> is set when the cached next autostart had to be computed and
/// must be stored, whatever else is decided.
/// </summary>
public sealed record WorkspaceDecision
{
    public LifecycleRule Rule { get; init; }

    public BuildTransition? Transition { get; init; }

    /// <summary>The build reason; for a dormancy mark without a build it is <see cref="BuildReason.Dormancy"/>.</summary>
    public BuildReason? Reason { get; init; }

    /// <summary>Set dormant_at = now and deleting_at = now + time-til-dormant-autodelete (see <see cref="Dormancy"/>).</summary>
    public bool MarkDormant { get; init; }

    /// <summary>The start must use the template's active version (automatic updates or a required active version).</summary>
    public bool UseActiveVersion { get; init; }

    /// <summary>The start moves the workspace to a newer version: notify the owner after it is committed.</summary>
    public bool AutoUpdated { get; init; }

    /// <summary>Stamp the reminder marker (= the build's deadline) and then send the reminder, at most once.</summary>
    public bool RemindAutostop { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    /// <summary>True when anything at all must be done or stored.</summary>
    [JsonIgnore]
    public bool Acts => Rule != LifecycleRule.None || NextStartAt is not null;

    public static WorkspaceDecision Nothing { get; } = new();
}

/// <summary>
/// The workspace lifecycle as pure functions: <see cref="Decide"/> picks what is due now (first match wins, spec
/// A11–A16, A30), and <see cref="NextDueAt"/> tells the workflow when to look again, so one durable timer
/// replaces Coder's once-a-minute scan. Times are compared exactly (no minute truncation): a rule fires at its
/// due instant, not up to a minute later.
/// </summary>
public static class WorkspaceLifecycle
{
    /// <summary>The decision at <paramref name="now"/> for these facts.</summary>
    public static WorkspaceDecision Decide(WorkspaceFacts facts, DateTimeOffset now)
    {
        if (!WorkspaceEligibility.IsManaged(facts))
            return WorkspaceDecision.Nothing;

        // A7: a missing next_start_at is computed (and stored) before the rules are evaluated.
        var maintained = MissingNextStartAt(facts, now);
        var f = maintained is null ? facts : facts with { Workspace = facts.Workspace with { NextStartAt = maintained } };
        var decision = Select(f, now);
        return maintained is null ? decision : decision with { NextStartAt = maintained };
    }

    /// <summary>
    /// The earliest instant at or after <paramref name="now"/> at which <see cref="Decide"/> acts, assuming the
    /// facts do not change; <paramref name="now"/> itself when something is due already; null when nothing
    /// will ever be due without a change (a signal, a finished build, activity). A higher-priority rule may
    /// take over at that instant; the workflow simply decides again and re-plans.
    /// </summary>
    public static DateTimeOffset? NextDueAt(WorkspaceFacts facts, DateTimeOffset now)
    {
        if (!WorkspaceEligibility.IsManaged(facts))
            return null;
        if (MissingNextStartAt(facts, now) is not null)
            return now;

        DateTimeOffset? earliest = null;
        void Consider(DateTimeOffset? candidate)
        {
            if (candidate is { } c && (earliest is null || c < earliest))
                earliest = c;
        }

        Consider(AutostopDueAt(facts, now));
        Consider(WorkspaceEligibility.AutostartDueAt(facts));
        Consider(WorkspaceEligibility.FailedStopThreshold(facts) + LifecycleConstants.StrictStep);
        Consider(WorkspaceEligibility.DormancyThreshold(facts) + LifecycleConstants.StrictStep);
        Consider(AutoDeleteDueAt(facts));
        Consider(ReminderDueAt(facts, now));
        return earliest is { } e && e < now ? now : earliest;
    }

    private static WorkspaceDecision Select(WorkspaceFacts f, DateTimeOffset now)
    {
        if (WorkspaceEligibility.IsEligibleForAutostop(f, now))
            return Build(LifecycleRule.Autostop, BuildTransition.Stop, StopReason(f));

        if (WorkspaceEligibility.IsEligibleForAutostart(f, now))
        {
            var useActive = f.Template.RequireActiveVersion || f.Workspace.AutomaticUpdates == AutomaticUpdates.Always;
            return Build(LifecycleRule.Autostart, BuildTransition.Start, BuildReason.Autostart) with
            {
                UseActiveVersion = useActive,
                AutoUpdated = useActive && f.LatestBuild.TemplateVersionId != f.ActiveTemplateVersionId,
            };
        }

        if (WorkspaceEligibility.IsEligibleForFailedStop(f, now))
            return Build(LifecycleRule.FailedStop, BuildTransition.Stop, StopReason(f));

        if (WorkspaceEligibility.IsEligibleForDormancy(f, now))
        {
            // Only a started workspace needs a stop; a stopped one is just marked dormant.
            var transition = f.LatestBuild.Transition == BuildTransition.Start ? BuildTransition.Stop : (BuildTransition?)null;
            return new WorkspaceDecision { Rule = LifecycleRule.Dormancy, Transition = transition, Reason = BuildReason.Dormancy, MarkDormant = true };
        }

        if (WorkspaceEligibility.IsEligibleForAutoDelete(f, now))
            return Build(LifecycleRule.AutoDelete, BuildTransition.Delete, BuildReason.Autodelete);

        if (WorkspaceEligibility.ShouldRemindAutostop(f, now))
            return new WorkspaceDecision { Rule = LifecycleRule.AutostopReminder, RemindAutostop = true };

        return WorkspaceDecision.Nothing;
    }

    /// <summary>
    /// A21: the rules' stop of a workspace linked to an AI task is the task's pause. As in Coder, this holds for the
    /// failed-stop retry too (it is the same autostop, tried again), not for a dormancy stop.
    /// </summary>
    private static BuildReason StopReason(WorkspaceFacts f) => f.Task is null ? BuildReason.Autostop : BuildReason.TaskAutoPause;

    private static WorkspaceDecision Build(LifecycleRule rule, BuildTransition transition, BuildReason reason) =>
        new() { Rule = rule, Transition = transition, Reason = reason };

    private static DateTimeOffset? MissingNextStartAt(WorkspaceFacts f, DateTimeOffset now) =>
        f.Workspace.NextStartAt is null ? Autostart.NextStartAt(now, f.Workspace.AutostartSchedule, f.Template) : null;

    private static DateTimeOffset? AutostopDueAt(WorkspaceFacts f, DateTimeOffset now)
    {
        // The predicate is monotonic in time: due from the deadline on, or at once for a suspended owner.
        if (WorkspaceEligibility.IsEligibleForAutostop(f, now))
            return now;
        return f.LatestBuild.Deadline is { } deadline && WorkspaceEligibility.IsEligibleForAutostop(f, deadline) ? deadline : null;
    }

    private static DateTimeOffset? AutoDeleteDueAt(WorkspaceFacts f)
    {
        if (!WorkspaceEligibility.AutoDeleteApplies(f, out var deletingAt))
            return null;
        var due = deletingAt + LifecycleConstants.StrictStep;
        var build = f.LatestBuild;
        if (build.Transition == BuildTransition.Delete && build.Status == BuildStatus.Failed)
        {
            if (build.FinishedAt is not { } finished)
                return null;
            var retry = finished + LifecycleConstants.FailedDeleteRetryAfter + LifecycleConstants.StrictStep;
            return retry > due ? retry : due;
        }

        return due;
    }

    private static DateTimeOffset? ReminderDueAt(WorkspaceFacts f, DateTimeOffset now)
    {
        if (!WorkspaceEligibility.ReminderApplies(f, out var deadline, out var lead))
            return null;

        // The window is [deadline − lead, deadline). Suppression (active owner, bumps on, no trapping max deadline)
        // can only lift as time passes: activity goes stale, and a max deadline starts trapping.
        var due = deadline - lead;
        if (now > due)
            due = now;
        if (WorkspaceEligibility.ReminderSuppressed(f, due, lead))
        {
            var activityStale = f.Workspace.LastUsedAt + LifecycleConstants.ReminderActiveThreshold;
            var lifted = f.LatestBuild.MaxDeadline is { } max && max - lead < activityStale ? max - lead : activityStale;
            if (lifted > due)
                due = lifted;
        }

        return due < deadline ? due : null;
    }
}
