using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Workspaces;

/// <summary>The account status of a workspace's owner; only active owners get autostarts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OwnerStatus>))]
public enum OwnerStatus
{
    Active,
    Dormant,
    Suspended,
}

/// <summary>What a workspace build does to the machine.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BuildTransition>))]
public enum BuildTransition
{
    Start,
    Stop,
    Delete,
}

/// <summary>The status of the job behind a workspace build.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BuildStatus>))]
public enum BuildStatus
{
    Pending,
    Running,
    Succeeded,
    Canceling,
    Canceled,
    Failed,
}

/// <summary>
/// Why a build was made. The lifecycle rules only ever use autostart, autostop, dormancy, autodelete and, for the stop
/// of a workspace linked to an AI task, task_auto_pause (spec A21).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BuildReason>))]
public enum BuildReason
{
    Initiator,
    Autostart,
    Autostop,
    Dormancy,
    Autodelete,
    TaskAutoPause,
}

/// <summary>Whether an autostart moves the workspace to the template's active version.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AutomaticUpdates>))]
public enum AutomaticUpdates
{
    Never,
    Always,
}

/// <summary>
/// A template's "stop at least this often" rule: on these weekdays (in the owner's quiet-hours zone), every
/// <see cref="Weeks"/> weeks counted from the epoch Monday 2023-01-02. No days means no requirement.
/// </summary>
public sealed record AutostopRequirement(Weekdays DaysOfWeek, int Weeks)
{
    /// <summary>No requirement: builds get no max deadline.</summary>
    public static AutostopRequirement None { get; } = new(Weekdays.None, 1);
}

/// <summary>A template's scheduling policy: what users may set and the thresholds the lifecycle rules use.</summary>
public sealed record TemplateSchedulePolicy
{
    /// <summary>The TTL copied to new workspaces, and the only TTL when users may not set their own.</summary>
    public TimeSpan DefaultTtl { get; init; }

    /// <summary>How far activity pushes the deadline; zero disables bumping.</summary>
    public TimeSpan ActivityBump { get; init; } = LifecycleConstants.DefaultActivityBump;

    public bool AllowUserAutostart { get; init; } = true;

    public bool AllowUserAutostop { get; init; } = true;

    /// <summary>Weekdays (in the workspace schedule's zone) on which an autostart may happen.</summary>
    public Weekdays AutostartAllowedDays { get; init; } = Weekdays.All;

    public AutostopRequirement AutostopRequirement { get; init; } = AutostopRequirement.None;

    /// <summary>Stop a workspace whose last build failed this long after it finished; zero disables.</summary>
    public TimeSpan FailureTtl { get; init; }

    /// <summary>Mark a workspace dormant after this long without use; zero disables.</summary>
    public TimeSpan TimeTilDormant { get; init; }

    /// <summary>Delete a dormant workspace this long after it became dormant; zero disables.</summary>
    public TimeSpan TimeTilDormantAutodelete { get; init; }

    /// <summary>Lead time of the one-time autostop reminder; zero disables.</summary>
    public TimeSpan TimeTilAutostopNotify { get; init; }

    /// <summary>Starts always use the active version, whatever the workspace's automatic-updates setting.</summary>
    public bool RequireActiveVersion { get; init; }
}

/// <summary>The workspace row's scheduling fields.</summary>
public sealed record WorkspaceSettings
{
    /// <summary>Autostart cron text (<c>CRON_TZ=&lt;zone&gt; m h * * dow</c>); null or empty means no autostart.</summary>
    public string? AutostartSchedule { get; init; }

    /// <summary>The workspace's own autostop duration; null means none.</summary>
    public TimeSpan? Ttl { get; init; }

    required public DateTimeOffset LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset? DeletingAt { get; init; }

    public AutomaticUpdates AutomaticUpdates { get; init; }

    /// <summary>Cached next allowed autostart; null when it must be recomputed (schedule changed, new workspace).</summary>
    public DateTimeOffset? NextStartAt { get; init; }
}

/// <summary>The latest build of a workspace and its job.</summary>
public sealed record LatestBuild
{
    required public BuildTransition Transition { get; init; }

    required public BuildStatus Status { get; init; }

    public BuildReason Reason { get; init; }

    required public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? CanceledAt { get; init; }

    /// <summary>Autostop time stamped at completion; null means the build never autostops.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Ceiling for <see cref="Deadline"/> from the template's autostop requirement; null means none.</summary>
    public DateTimeOffset? MaxDeadline { get; init; }

    /// <summary>The deadline for which an autostop reminder was already sent.</summary>
    public DateTimeOffset? NotifiedAutostopDeadline { get; init; }

    public Guid TemplateVersionId { get; init; }

    /// <summary>When the job stopped, successfully or not; null while it runs.</summary>
    [JsonIgnore]
    public DateTimeOffset? FinishedAt => CompletedAt ?? CanceledAt;

    /// <summary>A job still queued, running or being canceled: no rule acts until it settles.</summary>
    [JsonIgnore]
    public bool InFlight => Status is BuildStatus.Pending or BuildStatus.Running or BuildStatus.Canceling;
}

/// <summary>The AI task a workspace was created for (spec A21): its stops by the rules are the task's pauses.</summary>
/// <param name="Id">The task's id in the system that runs AI tasks.</param>
/// <param name="Name">The task's name, as the "Task paused" notification shows it.</param>
public sealed record WorkspaceTask(Guid Id, string Name);

/// <summary>Everything the lifecycle rules need to know about one workspace, read at one instant.</summary>
public sealed record WorkspaceFacts
{
    required public OwnerStatus OwnerStatus { get; init; }

    /// <summary>Owned by the prebuilds user (not yet claimed): the lifecycle rules never touch it.</summary>
    public bool IsPrebuild { get; init; }

    public bool IsDeleted { get; init; }

    required public TemplateSchedulePolicy Template { get; init; }

    public Guid ActiveTemplateVersionId { get; init; }

    required public WorkspaceSettings Workspace { get; init; }

    required public LatestBuild LatestBuild { get; init; }

    /// <summary>The AI task this workspace was created for; null for an ordinary workspace.</summary>
    public WorkspaceTask? Task { get; init; }
}
