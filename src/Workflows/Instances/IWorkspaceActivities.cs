using Lifecycle.Workflows.Workspaces;
using Temporalio.Activities;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The activities of the Instance workflow's workspace phase. The store calls run as local activities (one marker
/// event each); the provider's start and stop are ordinary activities. Every store write carries the workflow's own
/// clock (<c>At</c>), so the times the rules compare were all taken on one clock, and every write is idempotent: build
/// and job ids derive from the instance and the build number, audit entries and notifications carry keys.
/// </summary>
public interface IWorkspaceActivities
{
    /// <summary>Reads everything the lifecycle rules need about the workspace in one query; null when the row is gone.</summary>
    [Activity("WorkspaceLoad")]
    Task<WorkspaceSnapshot?> LoadAsync(WorkspaceLoadRequest request);

    /// <summary>Writes a new build (queued and picked up at once), its job and its audit entry; a repeat writes nothing.</summary>
    [Activity("WorkspaceBuildBegin")]
    Task<WorkspaceBuildBegun> BeginBuildAsync(WorkspaceBuildBegin request);

    /// <summary>Completes the build's job (or fails it), stamps its deadline and the machine's status; then its notice.</summary>
    [Activity("WorkspaceBuildEnd")]
    Task EndBuildAsync(WorkspaceBuildEnd request);

    /// <summary>Changes scheduling fields of the workspace and its latest build in one transaction; then its notice.</summary>
    [Activity("WorkspaceChange")]
    Task ChangeAsync(WorkspaceChange request);

    /// <summary>Starts or stops the machine through its provider; a provider error comes back as the result's fault.</summary>
    [Activity("MachinePower")]
    Task<MachinePowerResult> PowerAsync(MachinePowerRequest request);

    /// <summary>
    /// The provisioner gate (spec A17): whether the machine's provider is configured on this worker and answered within
    /// the stale interval (asking it when not). Never throws for an unusable provider: the result says why.
    /// </summary>
    [Activity("WorkspaceProviderGate")]
    Task<ProviderGateResult> CheckProviderAsync(ProviderGateRequest request);
}

/// <summary>Which workspace to read.</summary>
public sealed record WorkspaceLoadRequest(Guid InstanceId);

/// <summary>The workspace as stored: the rules' facts and what a build, an audit entry or a notice names.</summary>
public sealed record WorkspaceSnapshot
{
    required public WorkspaceFacts Facts { get; init; }

    required public string Name { get; init; }

    required public Guid OwnerId { get; init; }

    public Guid OrganizationId { get; init; }

    public Guid TemplateId { get; init; }

    /// <summary>The latest build's number (0 when there is none).</summary>
    public int BuildNumber { get; init; }

    public InstanceStatus Status { get; init; }

    /// <summary>The owner's quiet hours (for the autostop requirement), or null for the deployment default.</summary>
    public string? QuietHoursSchedule { get; init; }

    public string? ActiveVersionName { get; init; }

    public string? ActiveVersionMessage { get; init; }

    /// <summary>
    /// The worker's clock when the facts were read. A workflow task that runs local activities keeps the
    /// <c>Workflow.UtcNow</c> of its start, and its timers start only when it ends: a wait timed from that stale clock
    /// fires late by however long the task ran, so waits are timed from the later of the two.
    /// </summary>
    public DateTimeOffset? ReadAt { get; init; }
}

/// <summary>A new build of the workspace.</summary>
/// <param name="InstanceId">The workspace.</param>
/// <param name="BuildNumber">The new build's number: the latest + 1 (its ids derive from it).</param>
/// <param name="Transition">Start, stop or delete.</param>
/// <param name="Reason">Why (initiator for a user's build).</param>
/// <param name="InitiatorId">Who is recorded as starting it (the owner for automatic builds, as Coder records them).</param>
/// <param name="UseActiveVersion">Build on the template's active version (with the same-named preset's parameters), else the latest build's.</param>
/// <param name="At">The workflow's clock.</param>
/// <param name="MarkDormant">Dormancy marked in the same transaction (dormant_at, deleting_at).</param>
public sealed record WorkspaceBuildBegin(
    Guid InstanceId,
    int BuildNumber,
    BuildTransition Transition,
    BuildReason Reason,
    Guid InitiatorId,
    bool UseActiveVersion,
    DateTimeOffset At,
    WorkspaceDormancy? MarkDormant = null);

/// <summary>The build written, or why it could not be (e.g. the active version is incompatible).</summary>
public sealed record WorkspaceBuildBegun(bool Written, Guid TemplateVersionId, string? Refusal = null)
{
    /// <summary>The build moved the workspace to another template version than its latest build's.</summary>
    public bool VersionChanged { get; init; }

    /// <summary>The version's name (for the auto-update notice).</summary>
    public string? VersionName { get; init; }

    /// <summary>The version's message (for the auto-update notice).</summary>
    public string? VersionMessage { get; init; }
}

/// <summary>How a build ended.</summary>
/// <param name="InstanceId">The workspace.</param>
/// <param name="BuildNumber">The build.</param>
/// <param name="At">The workflow's clock: the job's completion time.</param>
/// <param name="Error">Null when it succeeded; the job's error otherwise.</param>
/// <param name="Status">The machine's status to store (running after a start, stopped after a stop); null leaves it.</param>
/// <param name="Deadline">The autostop deadline stamped on a completed start.</param>
/// <param name="MaxDeadline">Its ceiling from the autostop requirement.</param>
/// <param name="NextStartAt">The next allowed autostart to cache (A8).</param>
/// <param name="Notice">A notification to enqueue once the build's end is committed.</param>
public sealed record WorkspaceBuildEnd(
    Guid InstanceId,
    int BuildNumber,
    DateTimeOffset At,
    string? Error,
    InstanceStatus? Status,
    DateTimeOffset? Deadline,
    DateTimeOffset? MaxDeadline,
    DateTimeOffset? NextStartAt,
    WorkspaceNotice? Notice = null);

/// <summary>dormant_at and deleting_at as they are to be stored (both null clears dormancy).</summary>
public sealed record WorkspaceDormancy(DateTimeOffset? DormantAt, DateTimeOffset? DeletingAt);

/// <summary>The scheduling fields the <c>schedule</c> update replaces.</summary>
public sealed record WorkspaceScheduleFields(string? AutostartSchedule, TimeSpan? Ttl, AutomaticUpdates AutomaticUpdates);

/// <summary>A cached next autostart to store (null stores "none").</summary>
public sealed record WorkspaceNextStart(DateTimeOffset? At);

/// <summary>New autostop times of a build.</summary>
public sealed record WorkspaceBuildTimes(int BuildNumber, DateTimeOffset? Deadline, DateTimeOffset? MaxDeadline);

/// <summary>The autostop reminder marker: the deadline a reminder was sent for.</summary>
public sealed record WorkspaceReminderMark(int BuildNumber, DateTimeOffset Deadline);

/// <summary>An audit entry; <paramref name="Key"/> makes it idempotent.</summary>
public sealed record WorkspaceAudit(string Action, Guid? UserId, string Key, IReadOnlyDictionary<string, string?> NewValue);

/// <summary>A notification for the outbox, de-duplicated by <paramref name="DedupeKey"/>.</summary>
public sealed record WorkspaceNotice(string Kind, Guid RecipientId, string DedupeKey, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<Guid> Targets);

/// <summary>
/// Changes to a workspace written in one transaction; a null part leaves its fields alone. The notice is enqueued in a
/// second transaction, after the change is committed.
/// </summary>
public sealed record WorkspaceChange
{
    required public Guid InstanceId { get; init; }

    required public DateTimeOffset At { get; init; }

    public WorkspaceScheduleFields? Schedule { get; init; }

    public WorkspaceNextStart? NextStart { get; init; }

    public DateTimeOffset? LastUsedAt { get; init; }

    public WorkspaceDormancy? Dormancy { get; init; }

    public WorkspaceBuildTimes? Times { get; init; }

    public WorkspaceReminderMark? Reminder { get; init; }

    public WorkspaceAudit? Audit { get; init; }

    public WorkspaceNotice? Notice { get; init; }
}

/// <summary>A start or stop of the machine.</summary>
public sealed record MachinePowerRequest(Guid InstanceId, string Name, string ProviderName, string? ProviderId, bool Start);

/// <summary>Whether the provider did it, and its error when not.</summary>
public sealed record MachinePowerResult(bool Done, string? Fault);

/// <summary>Which provider the lifecycle rules are about to use, for which workspace.</summary>
public sealed record ProviderGateRequest(Guid InstanceId, string ProviderName);

/// <summary>Whether the provider is usable now, and why not when it is not.</summary>
public sealed record ProviderGateResult(bool Usable, string? Reason = null);
