using Lifecycle.Workflows.Workspaces;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The handlers of the Instance workflow's workspace phase (a claimed prebuild, or a workspace created for its owner):
/// what the HTTP API, template and user fan-outs, and operators (<c>temporal workflow update/signal</c>) call. Every
/// write to a workspace goes through these, never straight to the row the workflow owns.
/// </summary>
public static class WorkspaceHandlers
{
    /// <summary>Update (<see cref="WorkspaceBuildRequest"/> → <see cref="WorkspaceView"/>): a start build by a user.</summary>
    public const string Start = "start";

    /// <summary>Update (<see cref="WorkspaceBuildRequest"/> → <see cref="WorkspaceView"/>): a stop build by a user.</summary>
    public const string Stop = "stop";

    /// <summary>Update (<see cref="WorkspaceScheduleChange"/> → <see cref="WorkspaceView"/>): replace autostart and TTL.</summary>
    public const string Schedule = "schedule";

    /// <summary>Signal (<see cref="WorkspaceActivity"/>): the workspace was used; bumps the deadline, clears dormancy.</summary>
    public const string Activity = "activity";

    /// <summary>Signal (no argument): the template's schedule policy changed; the workflow re-reads it and re-plans.</summary>
    public const string TemplatePolicyChanged = "template-policy-changed";

    /// <summary>Signal (no argument): the owner's status changed (e.g. suspended); the workflow re-reads it and re-plans.</summary>
    public const string OwnerStatusChanged = "owner-status-changed";

    /// <summary>Signal (<see cref="DeleteInstanceRequest"/>): the existing instance delete, also the workspace delete.</summary>
    public const string Delete = "delete";

    /// <summary>Query (→ <see cref="WorkspaceView"/>, null while an unclaimed prebuild): the workspace as the workflow sees it.</summary>
    public const string Workspace = "workspace";
}

/// <summary>A user-initiated start or stop.</summary>
/// <param name="InitiatorId">The user who asked (recorded on the build row and the audit entry).</param>
public sealed record WorkspaceBuildRequest(Guid InitiatorId);

/// <summary>
/// The <c>schedule</c> update: replaces the workspace's scheduling fields (PUT semantics: null means none).
/// </summary>
/// <param name="AutostartSchedule">Weekly cron (<c>CRON_TZ=… m h * * dow</c>), or null/empty for no autostart.</param>
/// <param name="Ttl">Autostop TTL, or null for none (the template default applies when users may not set it).</param>
/// <param name="AutomaticUpdates">Null leaves the setting as it is.</param>
/// <param name="InitiatorId">The user who asked, for the audit entry.</param>
public sealed record WorkspaceScheduleChange(string? AutostartSchedule, TimeSpan? Ttl, AutomaticUpdates? AutomaticUpdates = null, Guid? InitiatorId = null);

/// <summary>The <c>activity</c> signal: someone used the workspace (an agent's stats report, a connection).</summary>
public sealed record WorkspaceActivity(Guid? UserId = null);

/// <summary>The workspace as its workflow sees it (the <c>workspace</c> query and the result of every workspace update).</summary>
public sealed record WorkspaceView
{
    required public Guid InstanceId { get; init; }

    required public string Name { get; init; }

    required public Guid OwnerId { get; init; }

    required public InstancePhase Phase { get; init; }

    required public InstanceStatus Status { get; init; }

    public string? AutostartSchedule { get; init; }

    public TimeSpan? Ttl { get; init; }

    public AutomaticUpdates AutomaticUpdates { get; init; }

    public int BuildNumber { get; init; }

    public BuildTransition? LatestTransition { get; init; }

    public BuildStatus? LatestStatus { get; init; }

    public BuildReason? LatestReason { get; init; }

    public DateTimeOffset? Deadline { get; init; }

    public DateTimeOffset? MaxDeadline { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    public DateTimeOffset? LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset? DeletingAt { get; init; }

    /// <summary>When the workflow next looks at the workspace (its timer), or null when it waits for a signal only.</summary>
    public DateTimeOffset? NextDueAt { get; init; }
}

/// <summary>
/// Error types the workspace updates fail with. <see cref="InvalidRequest"/> failures carry the offending field name
/// (<c>autostart_schedule</c>, <c>ttl</c>, …) as their first detail, so the API answers 400 naming it.
/// </summary>
public static class WorkspaceFailures
{
    /// <summary>The request is invalid (bad cron, TTL out of range, not allowed by the template): HTTP 400.</summary>
    public const string InvalidRequest = "InvalidRequest";

    /// <summary>The instance is an unclaimed prebuild, not a workspace: HTTP 409.</summary>
    public const string NotAWorkspace = "NotAWorkspace";

    /// <summary>A build is already queued or running, or the workspace is being deleted: HTTP 409.</summary>
    public const string Conflict = "Conflict";
}
