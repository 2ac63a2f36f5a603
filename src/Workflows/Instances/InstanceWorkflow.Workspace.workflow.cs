using Lifecycle.Workflows.Workspaces;
using Microsoft.Extensions.Logging;
using Temporalio.Workflows;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// The workspace phase (spec lifecycle.md §2, prebuilds.md B30–B31): a claimed prebuild, or a workspace made for its
/// owner, runs Coder's lifecycle rules on one durable timer. The facts are read from the store only when something
/// changed (entering the phase, a signal, a build it ran); then <see cref="WorkspaceLifecycle.Decide"/> says what is due
/// and <see cref="WorkspaceLifecycle.NextDueAt"/> when to look again. A workspace with nothing due waits on a signal
/// alone and costs no query. The loop is the only writer: updates and signals leave requests that it serves in turn.
/// </summary>
public sealed partial class InstanceWorkflow
{
    /// <summary>The patch that took claimed and owner-made instances into the workspace phase.</summary>
    public const string WorkspacePhasePatch = "workspace-phase";

    /// <summary>The patch that put the provisioner gate (spec A17) before every action of the lifecycle rules.</summary>
    public const string ProviderGatePatch = "workspace-provider-gate";

    /// <summary>An action the rules decided that could not be taken (e.g. an incompatible version) is tried again after this.</summary>
    public static readonly TimeSpan BlockedActionRetry = TimeSpan.FromHours(1);

    /// <summary>Activity moves last_used_at at most this often when it changes nothing else (Coder batches it per minute).</summary>
    public static readonly TimeSpan LastUsedWriteInterval = TimeSpan.FromMinutes(1);

    private readonly List<WorkspaceCommand> workspaceCommands = [];
    private bool isWorkspace;
    private bool workspaceEntered;
    private Guid? ownerId;
    private Workspaces.BuildReason? deleteReason;
    private WorkspaceSnapshot? workspace;
    private bool workspaceStale = true;
    private bool buildInFlight;
    private DateTimeOffset? activityAt;
    private bool templatePolicyChanged;
    private LifecycleRule blockedRule;
    private DateTimeOffset? blockedUntil;
    private DateTimeOffset? nextDueAt;

    /// <summary>A user's start build: the workspace's latest build becomes a start.</summary>
    [WorkflowUpdate(WorkspaceHandlers.Start)]
    public Task<WorkspaceView> StartWorkspaceAsync(WorkspaceBuildRequest request) =>
        RunCommandAsync(new WorkspaceCommand(BuildTransition.Start, request.InitiatorId, null));

    /// <summary>Rejects (no events) a start of a prebuild, or while a build runs or the workspace is being deleted.</summary>
    [WorkflowUpdateValidator(nameof(StartWorkspaceAsync))]
    public void ValidateStartWorkspace(WorkspaceBuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureWorkspaceIdle("start");
    }

    /// <summary>A user's stop build.</summary>
    [WorkflowUpdate(WorkspaceHandlers.Stop)]
    public Task<WorkspaceView> StopWorkspaceAsync(WorkspaceBuildRequest request) =>
        RunCommandAsync(new WorkspaceCommand(BuildTransition.Stop, request.InitiatorId, null));

    /// <summary>Rejects (no events) a stop of a prebuild, or while a build runs or the workspace is being deleted.</summary>
    [WorkflowUpdateValidator(nameof(StopWorkspaceAsync))]
    public void ValidateStopWorkspace(WorkspaceBuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureWorkspaceIdle("stop");
    }

    /// <summary>Replaces the autostart schedule and TTL (and automatic updates) and re-plans the timers at once.</summary>
    [WorkflowUpdate(WorkspaceHandlers.Schedule)]
    public Task<WorkspaceView> ChangeWorkspaceScheduleAsync(WorkspaceScheduleChange request) =>
        RunCommandAsync(new WorkspaceCommand(null, request.InitiatorId ?? Guid.Empty, request));

    /// <summary>Rejects (no events) a schedule the template does not allow, a bad cron or TTL, or a prebuild's.</summary>
    [WorkflowUpdateValidator(nameof(ChangeWorkspaceScheduleAsync))]
    public void ValidateWorkspaceSchedule(WorkspaceScheduleChange request)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureWorkspace("change the schedule of");
        if (deleteRequested || phase is InstancePhase.Deleting or InstancePhase.Deleted)
            throw WorkspaceFailure.Conflict(input.InstanceId, "is being deleted");

        // Without the facts in memory (just after continue-as-new) the template's rules are checked when it is served.
        _ = ValidSchedule(request, workspace?.Facts.Template);
    }

    /// <summary>The workspace was used: bumps the deadline (Coder's throttle), moves last_used_at, clears dormancy.</summary>
    [WorkflowSignal(WorkspaceHandlers.Activity)]
    public Task RecordWorkspaceActivityAsync(WorkspaceActivity activity)
    {
        activityAt = Workflow.UtcNow;
        return Task.CompletedTask;
    }

    /// <summary>The template's schedule policy changed: re-read it and re-plan at once.</summary>
    [WorkflowSignal(WorkspaceHandlers.TemplatePolicyChanged)]
    public Task TemplatePolicyChangedAsync()
    {
        templatePolicyChanged = true;
        workspaceStale = true;
        blockedUntil = null;
        return Task.CompletedTask;
    }

    /// <summary>The owner's status changed (a suspended owner's running workspace stops at once): re-read and re-plan.</summary>
    [WorkflowSignal(WorkspaceHandlers.OwnerStatusChanged)]
    public Task OwnerStatusChangedAsync()
    {
        workspaceStale = true;
        blockedUntil = null;
        return Task.CompletedTask;
    }

    /// <summary>The workspace as the workflow sees it; null while the instance is an unclaimed prebuild.</summary>
    [WorkflowQuery(WorkspaceHandlers.Workspace)]
    public WorkspaceView? Workspace() => isWorkspace || claimed is not null ? View() : null;

    // A due time already passed by the reader's clock is looked at again in a fresh workflow task, whose clock is current.
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(1);

    private async Task<InstancePhase> RunWorkspaceAsync()
    {
        while (true)
        {
            if (deleteRequested)
            {
                FailPendingCommands("is being deleted");
                return InstancePhase.Deleting;
            }
            if (workspaceStale && !await ReloadWorkspaceAsync())
            {
                return InstancePhase.Deleting;
            }
            if (!workspaceEntered)
            {
                await EnterWorkspaceAsync();
                continue;
            }
            if (templatePolicyChanged)
            {
                await ApplyTemplatePolicyAsync();
                continue;
            }
            if (workspaceCommands.Count > 0)
            {
                var command = workspaceCommands[0];
                workspaceCommands.RemoveAt(0);
                await ServeAsync(command);
                continue;
            }
            if (activityAt is { } usedAt)
            {
                activityAt = null;
                await RecordActivityAsync(usedAt);
                continue;
            }

            var now = (DateTimeOffset)Workflow.UtcNow;
            var facts = workspace!.Facts;
            var decision = WorkspaceLifecycle.Decide(facts, now);
            var blocked = blockedUntil is { } until && now < until && decision.Rule == blockedRule && decision.Rule != LifecycleRule.None;
            if (decision.Acts && !blocked)
            {
                if (!await ProviderUsableAsync(decision, now))
                {
                    continue;
                }
                var next = await ActAsync(decision, now);
                if (next is { } leave)
                {
                    FailPendingCommands("is being deleted");
                    return leave;
                }
                continue;
            }

            nextDueAt = blocked ? blockedUntil : WorkspaceLifecycle.NextDueAt(facts, now);
            if (nextDueAt is { } due && due <= now)
            {
                // Due now but nothing to do (an action the rules keep asking for was refused): look again later.
                nextDueAt = now + BlockedActionRetry;
            }
            ContinueWorkspaceAsNewIfDue();
            Func<bool> wake = () => deleteRequested || workspaceStale || templatePolicyChanged || workspaceCommands.Count > 0 || activityAt is not null
                || (Workflow.AllHandlersFinished && ContinueAsNewDue);
            if (nextDueAt is { } at)
            {
                await WaitAsync(wake, WaitLength(at, now));
            }
            else
            {
                await WaitAsync(wake);
            }
        }
    }

    /// <summary>
    /// A wait longer than twice this ends this much before its due time, and the rest is waited from that early task.
    /// A timer starts when the server takes the completion of the task that asked for it, which is later than any clock
    /// the task can read by the rest of the task (measured: p50 240 ms, p99 480 ms after a build's store writes at load
    /// 25); the early task reads nothing, so the rest is timed from a clock that is at most that task's own run old.
    /// </summary>
    public static readonly TimeSpan DueWakeLead = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long to sleep until <paramref name="due"/>, timed from the later of the task's clock and the last read's (the
    /// timer starts when this workflow task ends, after its local activities, not at <paramref name="now"/>); a long
    /// wait wakes <see cref="DueWakeLead"/> early (see there).
    /// </summary>
    private TimeSpan WaitLength(DateTimeOffset due, DateTimeOffset now)
    {
        var from = workspace?.ReadAt is { } read && read > now ? read : now;
        var length = due - from;
        if (length > 2 * DueWakeLead)
        {
            return length - DueWakeLead;
        }
        return length > MinimumWait ? length : MinimumWait;
    }

    /// <summary>
    /// Entering the phase. After a claim, B31 and issue 6: a new start build runs under the new owner and its deadline
    /// counts from the claim (not from the prebuild's creation, nor from the end of the claim's build). A workspace made
    /// for its owner enters when its agent called back; A28: its first build's deadline and next autostart count from
    /// that build's job completion (the machine made), not from the agent's ready.
    /// </summary>
    private async Task EnterWorkspaceAsync()
    {
        var snapshot = workspace!;
        if (claimed is not null)
        {
            await RunBuildAsync(BuildTransition.Start, Workspaces.BuildReason.Initiator, claimed.OwnerId, useActiveVersion: false, deadlineFrom: claimed.ClaimedAt);
        }
        else
        {
            var now = (DateTimeOffset)Workflow.UtcNow;
            var facts = snapshot.Facts;
            var completedAt = facts.LatestBuild.CompletedAt is { } done && done <= now ? done : now;
            var times = AutostopTimesAt(completedAt, facts);
            await ChangeWorkspaceAsync(new WorkspaceChange
            {
                InstanceId = input.InstanceId,
                At = now,
                LastUsedAt = now,
                Times = new WorkspaceBuildTimes(snapshot.BuildNumber, times.Deadline, times.MaxDeadline),
                NextStart = new WorkspaceNextStart(Autostart.NextStartAt(completedAt, facts.Workspace.AutostartSchedule, facts.Template)),
            });
        }
        workspaceEntered = true;
    }

    private async Task<bool> ReloadWorkspaceAsync()
    {
        workspaceStale = false;
        var snapshot = await Workflow.ExecuteLocalActivityAsync(
            (IWorkspaceActivities a) => a.LoadAsync(new WorkspaceLoadRequest(input.InstanceId)), StoreCall);
        if (snapshot is null || snapshot.Facts.IsDeleted)
        {
            lastFault = $"workspace {input.InstanceId} is no longer in the store";
            Workflow.Logger.LogWarning("{Fault}; deleting the machine", lastFault);
            storeReleased = snapshot is null;
            deleteRequested = true;
            FailPendingCommands("is no longer in the store");
            return false;
        }
        workspace = snapshot;
        ownerId = snapshot.OwnerId;
        return true;
    }

    /// <summary>
    /// The provisioner gate (A17): before the rules build, mark dormant or delete, the machine's provider must be usable
    /// on this worker (configured, and answered within the stale interval). When it is not, nothing is done, a warning
    /// is logged and the rule is looked at again one stale interval later. A reminder or a missing next autostart needs
    /// no provider and is not gated.
    /// </summary>
    private async Task<bool> ProviderUsableAsync(WorkspaceDecision decision, DateTimeOffset now)
    {
        if (decision.Rule is LifecycleRule.None or LifecycleRule.AutostopReminder || !Workflow.Patched(ProviderGatePatch))
        {
            return true;
        }
        var gate = await Workflow.ExecuteLocalActivityAsync(
            (IWorkspaceActivities a) => a.CheckProviderAsync(new ProviderGateRequest(input.InstanceId, input.ProviderName)), StoreCall);
        if (gate.Usable)
        {
            return true;
        }
        lastFault = gate.Reason;
        Workflow.Logger.LogWarning(
            "workspace {InstanceId}: {Rule} skipped, provider not usable: {Reason}; retrying in {Retry}",
            input.InstanceId, decision.Rule, gate.Reason, LifecycleConstants.ProviderStaleInterval);
        blockedRule = decision.Rule;
        blockedUntil = now + LifecycleConstants.ProviderStaleInterval;
        if (decision.NextStartAt is { } nextStart)
        {
            // A7 needs no provider: a missing next autostart is stored all the same.
            await ChangeWorkspaceAsync(new WorkspaceChange { InstanceId = input.InstanceId, At = now, NextStart = new WorkspaceNextStart(nextStart) });
        }
        return false;
    }

    private async Task<InstancePhase?> ActAsync(WorkspaceDecision decision, DateTimeOffset now)
    {
        var snapshot = workspace!;
        if (decision.NextStartAt is { } nextStart && decision.Rule == LifecycleRule.None)
        {
            // A7: a missing cached next autostart is stored before anything else.
            await ChangeWorkspaceAsync(new WorkspaceChange { InstanceId = input.InstanceId, At = now, NextStart = new WorkspaceNextStart(nextStart) });
            return null;
        }

        switch (decision.Rule)
        {
            case LifecycleRule.AutoDelete:
                // A15: through the instance's delete path, as a delete build with reason autodelete.
                deleteReason = Workspaces.BuildReason.Autodelete;
                deleteRequested = true;
                return InstancePhase.Deleting;

            case LifecycleRule.AutostopReminder:
                await RemindAutostopAsync(now);
                return null;

            case LifecycleRule.Dormancy when decision.Transition is null:
                await MarkDormantAsync(now);
                return null;

            default:
                break;
        }

        var dormancy = decision.MarkDormant ? MarkFor(now, snapshot.Facts) : null;
        var built = await RunBuildAsync(decision.Transition!.Value, decision.Reason!.Value, snapshot.OwnerId, decision.UseActiveVersion, dormancy, decision.NextStartAt);
        if (!built)
        {
            blockedRule = decision.Rule;
            blockedUntil = now + BlockedActionRetry;
        }
        return null;
    }

    /// <summary>
    /// One build: its rows and audit entry (one transaction), the provider's start or stop, then the job's end with the
    /// deadline of a start (A28) and the next autostart (A8). A failed provider call fails the job. False when the store
    /// refused the build (e.g. the active version is incompatible): nothing was started.
    /// </summary>
    private async Task<bool> RunBuildAsync(
        BuildTransition transition,
        Workspaces.BuildReason reason,
        Guid initiatorId,
        bool useActiveVersion,
        WorkspaceDormancy? dormancy = null,
        DateTimeOffset? nextStartAt = null,
        DateTimeOffset? deadlineFrom = null)
    {
        var snapshot = workspace!;
        var number = snapshot.BuildNumber + 1;
        var begun = await Workflow.ExecuteLocalActivityAsync(
            (IWorkspaceActivities a) => a.BeginBuildAsync(new WorkspaceBuildBegin(
                input.InstanceId, number, transition, reason, initiatorId, useActiveVersion, Workflow.UtcNow, dormancy)),
            StoreCall);
        if (begun.Refusal is not null)
        {
            lastFault = begun.Refusal;
            Workflow.Logger.LogWarning("workspace {InstanceId}: {Transition} ({Reason}) not built: {Refusal}", input.InstanceId, transition, reason, begun.Refusal);
            if (nextStartAt is not null)
            {
                await ChangeWorkspaceAsync(new WorkspaceChange { InstanceId = input.InstanceId, At = Workflow.UtcNow, NextStart = new WorkspaceNextStart(nextStartAt) });
            }
            workspaceStale = true;
            return false;
        }

        buildInFlight = true;
        try
        {
            PublishSearchAttributes();
            var power = await Workflow.ExecuteActivityAsync(
                (IWorkspaceActivities a) => a.PowerAsync(new MachinePowerRequest(input.InstanceId, input.Name, input.ProviderName, providerId, transition == BuildTransition.Start)),
                ProviderCall(TimeSpan.FromMinutes(5)));
            var end = (DateTimeOffset)Workflow.UtcNow;
            var facts = snapshot.Facts;
            var times = power.Done && transition == BuildTransition.Start ? AutostopTimesAt(deadlineFrom ?? end, facts) : AutostopTimes.None;
            var newStatus = transition == BuildTransition.Start ? InstanceStatus.Running : InstanceStatus.Stopped;
            WorkspaceNotice? notice = null;
            if (power.Done && begun.VersionChanged && reason == Workspaces.BuildReason.Autostart)
            {
                notice = Notice(
                    "workspace_auto_updated",
                    $"workspace-auto-updated/{input.InstanceId}/{number}",
                    LifecycleNotices.AutoUpdated(snapshot.Name, reason, begun.VersionName ?? begun.TemplateVersionId.ToString(), begun.VersionMessage));
            }
            if (power.Done && dormancy is not null)
            {
                notice = DormantNotice(dormancy, end);
            }
            if (power.Done && reason == Workspaces.BuildReason.TaskAutoPause && facts.Task is { } task)
            {
                // A21: sent once the task's workspace has actually stopped; a failed stop is retried (A13) and notifies then.
                notice = Notice("task_paused", $"task-paused/{input.InstanceId}/{number}", LifecycleNotices.TaskPaused(task, snapshot.Name));
            }
            await Workflow.ExecuteLocalActivityAsync(
                (IWorkspaceActivities a) => a.EndBuildAsync(new WorkspaceBuildEnd(
                    input.InstanceId,
                    number,
                    end,
                    power.Done ? null : power.Fault ?? "provider call failed",
                    power.Done ? newStatus : null,
                    times.Deadline,
                    times.MaxDeadline,
                    Autostart.NextStartAt(end, facts.Workspace.AutostartSchedule, facts.Template),
                    notice)),
                StoreCall);
            if (power.Done)
            {
                status = newStatus;
                lastFault = null;
            }
            else
            {
                lastFault = power.Fault;
            }
            if (dormancy is not null && !power.Done)
            {
                // The dormancy mark was committed with the build; its notice goes out even though the stop failed.
                await ChangeWorkspaceAsync(new WorkspaceChange { InstanceId = input.InstanceId, At = end, Notice = DormantNotice(dormancy, end) });
            }
        }
        finally
        {
            buildInFlight = false;
            workspaceStale = true;
        }
        return true;
    }

    private async Task ServeAsync(WorkspaceCommand command)
    {
        // A person acting on the workspace changes what the rules see: a refused action may be tried again at once.
        blockedUntil = null;
        try
        {
            if (command.Schedule is { } change)
            {
                await ChangeScheduleAsync(change, command.InitiatorId);
            }
            else
            {
                var initiator = command.InitiatorId == Guid.Empty ? workspace!.OwnerId : command.InitiatorId;
                await RunBuildAsync(command.Transition!.Value, Workspaces.BuildReason.Initiator, initiator, useActiveVersion: workspace!.Facts.Template.RequireActiveVersion);
            }
            if (workspaceStale)
            {
                await ReloadWorkspaceAsync();
            }

            // The answer shows the plan the loop is about to make from these facts.
            nextDueAt = workspace is { } snapshot ? WorkspaceLifecycle.NextDueAt(snapshot.Facts, Workflow.UtcNow) : null;
            command.View = View();
        }
        catch (Temporalio.Exceptions.ApplicationFailureException e)
        {
            // A request the template's rules refuse (checked here when the validator had no facts): only the update fails.
            command.Failure = e;
        }
        command.Done = true;
    }

    /// <summary>The schedule update: validated against the template, written with its audit entry, then re-planned.</summary>
    private async Task ChangeScheduleAsync(WorkspaceScheduleChange change, Guid initiatorId)
    {
        var snapshot = workspace!;
        var facts = snapshot.Facts;
        var (schedule, ttl) = ValidSchedule(change, facts.Template);
        var now = (DateTimeOffset)Workflow.UtcNow;
        var settings = facts.Workspace with
        {
            AutostartSchedule = schedule,
            Ttl = ttl,
            AutomaticUpdates = change.AutomaticUpdates ?? facts.Workspace.AutomaticUpdates,
        };

        // Clearing the TTL clears the running build's deadline (spec 4.1 #16); a new TTL applies from the next build.
        var deadline = WorkspaceScheduleRequest.DeadlineAfterTtlChange(facts.LatestBuild, ttl, now);
        var times = deadline != facts.LatestBuild.Deadline
            ? new WorkspaceBuildTimes(snapshot.BuildNumber, deadline, facts.LatestBuild.MaxDeadline)
            : null;
        await ChangeWorkspaceAsync(new WorkspaceChange
        {
            InstanceId = input.InstanceId,
            At = now,
            Schedule = new WorkspaceScheduleFields(schedule, ttl, settings.AutomaticUpdates),
            NextStart = new WorkspaceNextStart(Autostart.NextStartAt(now, schedule, facts.Template)),
            Times = times,
            Audit = new WorkspaceAudit(
                "write",
                initiatorId == Guid.Empty ? snapshot.OwnerId : initiatorId,
                $"schedule/{input.InstanceId}/{Workflow.NewGuid()}",
                new Dictionary<string, string?>
                {
                    ["autostart_schedule"] = schedule,
                    ["ttl"] = ttl?.ToString(),
                    ["automatic_updates"] = settings.AutomaticUpdates.ToString(),
                }),
        });
    }

    /// <summary>Activity: the throttled bump (A30a) and last_used_at; a dormant workspace is woken.</summary>
    private async Task RecordActivityAsync(DateTimeOffset now)
    {
        var snapshot = workspace!;
        var facts = snapshot.Facts;
        var bumped = ActivityBump.NewDeadline(now, facts.LatestBuild, facts.Workspace, facts.Template);
        var dormant = facts.Workspace.DormantAt is not null;
        if (bumped is null && !dormant && now - facts.Workspace.LastUsedAt < LastUsedWriteInterval)
        {
            return;
        }
        await ChangeWorkspaceAsync(new WorkspaceChange
        {
            InstanceId = input.InstanceId,
            At = now,
            LastUsedAt = now,
            Dormancy = dormant ? new WorkspaceDormancy(null, null) : null,
            Times = bumped is { } deadline ? new WorkspaceBuildTimes(snapshot.BuildNumber, deadline, facts.LatestBuild.MaxDeadline) : null,
            Audit = dormant
                ? new WorkspaceAudit("write", snapshot.OwnerId, $"undormant/{input.InstanceId}/{facts.Workspace.DormantAt:O}", new Dictionary<string, string?> { ["dormant_at"] = null })
                : null,
        });
    }

    /// <summary>A9/A29: the template's policy changed; the workspace's fields and the running build's times follow it.</summary>
    private async Task ApplyTemplatePolicyAsync()
    {
        templatePolicyChanged = false;
        var before = workspace!.Facts.Template;
        if (!await ReloadWorkspaceAsync())
        {
            return;
        }
        var snapshot = workspace!;
        var facts = snapshot.Facts;
        var now = (DateTimeOffset)Workflow.UtcNow;
        var applied = TemplatePolicyChange.Apply(facts.Workspace, before, facts.Template, now);
        var times = AutostopCalculation.AfterTemplateChange(facts.LatestBuild, now, applied.Workspace, facts.Template, QuietHours(snapshot));
        var ws = applied.Workspace;
        var changed = ws != facts.Workspace || times.Deadline != facts.LatestBuild.Deadline || times.MaxDeadline != facts.LatestBuild.MaxDeadline;
        if (!changed)
        {
            return;
        }
        WorkspaceNotice? notice = null;
        if (applied.NewlyScheduledForDeletion && ws.DeletingAt is { } deletingAt)
        {
            notice = Notice(
                "workspace_marked_for_deletion",
                $"workspace-marked-for-deletion/{input.InstanceId}/{deletingAt:O}",
                new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = snapshot.Name, ["timeTilDelete"] = RelativeTime.Describe(deletingAt, now) });
        }
        await ChangeWorkspaceAsync(new WorkspaceChange
        {
            InstanceId = input.InstanceId,
            At = now,
            Schedule = ws.Ttl != facts.Workspace.Ttl ? new WorkspaceScheduleFields(ws.AutostartSchedule, ws.Ttl, ws.AutomaticUpdates) : null,
            NextStart = ws.NextStartAt != facts.Workspace.NextStartAt ? new WorkspaceNextStart(ws.NextStartAt) : null,
            LastUsedAt = ws.LastUsedAt != facts.Workspace.LastUsedAt ? ws.LastUsedAt : null,
            Dormancy = ws.DormantAt != facts.Workspace.DormantAt || ws.DeletingAt != facts.Workspace.DeletingAt ? new WorkspaceDormancy(ws.DormantAt, ws.DeletingAt) : null,
            Times = times.Deadline != facts.LatestBuild.Deadline || times.MaxDeadline != facts.LatestBuild.MaxDeadline
                ? new WorkspaceBuildTimes(snapshot.BuildNumber, times.Deadline, times.MaxDeadline)
                : null,
            Notice = notice,
        });
    }

    /// <summary>A30: the marker (= the deadline) is stamped, and the reminder enqueued once that is committed.</summary>
    private Task RemindAutostopAsync(DateTimeOffset now)
    {
        var snapshot = workspace!;
        var deadline = snapshot.Facts.LatestBuild.Deadline!.Value;
        return ChangeWorkspaceAsync(new WorkspaceChange
        {
            InstanceId = input.InstanceId,
            At = now,
            Reminder = new WorkspaceReminderMark(snapshot.BuildNumber, deadline),
            Notice = Notice("workspace_autostop_reminder", $"workspace-autostop-reminder/{input.InstanceId}/{snapshot.BuildNumber}/{deadline:O}", LifecycleNotices.AutostopReminder(snapshot.Name, deadline, now)),
        });
    }

    /// <summary>A14/A19 without a build (the workspace is stopped): marked dormant, audited, then the one notice.</summary>
    private Task MarkDormantAsync(DateTimeOffset now)
    {
        var snapshot = workspace!;
        var mark = MarkFor(now, snapshot.Facts);
        return ChangeWorkspaceAsync(new WorkspaceChange
        {
            InstanceId = input.InstanceId,
            At = now,
            Dormancy = mark,
            Audit = new WorkspaceAudit("write", snapshot.OwnerId, $"dormant/{input.InstanceId}/{now:O}", new Dictionary<string, string?>
            {
                ["dormant_at"] = mark.DormantAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["deleting_at"] = mark.DeletingAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }),
            Notice = DormantNotice(mark, now),
        });
    }

    private async Task ChangeWorkspaceAsync(WorkspaceChange change)
    {
        await Workflow.ExecuteLocalActivityAsync((IWorkspaceActivities a) => a.ChangeAsync(change), StoreCall);
        workspaceStale = true;
    }

    private static WorkspaceDormancy MarkFor(DateTimeOffset now, WorkspaceFacts facts)
    {
        var (dormantAt, deletingAt) = Dormancy.Mark(now, facts.Template);
        return new WorkspaceDormancy(dormantAt, deletingAt);
    }

    private WorkspaceNotice DormantNotice(WorkspaceDormancy mark, DateTimeOffset now) =>
        Notice("workspace_dormant", $"workspace-dormant/{input.InstanceId}/{mark.DormantAt:O}", LifecycleNotices.Dormant(workspace!.Name, mark.DeletingAt, now));

    private WorkspaceNotice Notice(string kind, string dedupeKey, IReadOnlyDictionary<string, string> labels)
    {
        var snapshot = workspace!;
        return new WorkspaceNotice(kind, snapshot.OwnerId, dedupeKey, labels, [input.InstanceId, snapshot.OwnerId, snapshot.TemplateId, snapshot.OrganizationId]);
    }

    private static string QuietHours(WorkspaceSnapshot snapshot) =>
        string.IsNullOrWhiteSpace(snapshot.QuietHoursSchedule) ? LifecycleConstants.DefaultQuietHoursSchedule : snapshot.QuietHoursSchedule;

    private AutostopTimes AutostopTimesAt(DateTimeOffset completedAt, WorkspaceFacts facts)
    {
        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, completedAt, facts.Workspace, facts.Template, QuietHours(workspace!));
        if (times.Error is null)
        {
            return times;
        }
        Workflow.Logger.LogWarning("workspace {InstanceId}: autostop times not computed: {Error}", input.InstanceId, times.Error);
        return AutostopTimes.None;
    }

    /// <summary>
    /// Continues as new at a rest point of the loop, only when no update or signal is waiting and every handler has
    /// finished (an update handler waits for the loop, so waiting here for handlers could wait for ever).
    /// </summary>
    private void ContinueWorkspaceAsNewIfDue()
    {
        if (ContinueAsNewDue && Workflow.AllHandlersFinished && workspaceCommands.Count == 0 && activityAt is null && !workspaceStale && !templatePolicyChanged)
        {
            throw ContinueAsNew();
        }
    }

    private async Task<WorkspaceView> RunCommandAsync(WorkspaceCommand command)
    {
        workspaceCommands.Add(command);
        await Workflow.WaitConditionAsync(() => command.Done);
        if (command.Failure is not null)
        {
            throw command.Failure;
        }
        return command.View!;
    }

    private void FailPendingCommands(string why)
    {
        foreach (var command in workspaceCommands)
        {
            command.Failure = WorkspaceFailure.Conflict(input.InstanceId, why);
            command.Done = true;
        }
        workspaceCommands.Clear();
    }

    private void EnsureWorkspace(string what)
    {
        if (phase is InstancePhase.Creating or InstancePhase.Bootstrapping)
            throw WorkspaceFailure.Conflict(input.InstanceId, $"is still being created; cannot {what} it");
        if (!isWorkspace && claimed is null)
            throw WorkspaceFailure.NotAWorkspace(input.InstanceId, $"is an unclaimed prebuild; cannot {what} it");
    }

    private void EnsureWorkspaceIdle(string what)
    {
        EnsureWorkspace(what);
        if (deleteRequested || phase is InstancePhase.Deleting or InstancePhase.Deleted)
            throw WorkspaceFailure.Conflict(input.InstanceId, $"is being deleted; cannot {what} it");
        if (buildInFlight || claiming || phase != InstancePhase.Workspace || !workspaceEntered || workspaceCommands.Exists(c => c.Transition is not null))
            throw WorkspaceFailure.Conflict(input.InstanceId, $"has a build queued or running; cannot {what} it now");
    }

    /// <summary>The schedule and TTL to store, or an InvalidRequest failure naming the field.</summary>
    private (string? Schedule, TimeSpan? Ttl) ValidSchedule(WorkspaceScheduleChange change, TemplateSchedulePolicy? template)
    {
        string? schedule;
        try
        {
            schedule = WorkspaceScheduleRequest.ValidSchedule(change.AutostartSchedule);
        }
        catch (ScheduleFormatException e)
        {
            throw WorkspaceFailure.Invalid(input.InstanceId, "autostart_schedule", e.Message);
        }
        if (change.Ttl is { } requested && requested < TimeSpan.Zero)
            throw WorkspaceFailure.Invalid(input.InstanceId, "ttl", $"ttl must not be negative, got {requested}");
        if (template is null)
        {
            return (schedule, change.Ttl);
        }
        if (schedule is not null && !template.AllowUserAutostart)
            throw WorkspaceFailure.Invalid(input.InstanceId, "autostart_schedule", "the template does not allow users to set an autostart schedule");
        if (change.Ttl is { } wanted && wanted > TimeSpan.Zero && !template.AllowUserAutostop)
            throw WorkspaceFailure.Invalid(input.InstanceId, "ttl", "the template does not allow users to set an autostop TTL");
        try
        {
            return (schedule, WorkspaceScheduleRequest.ValidTtl(change.Ttl, template));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw WorkspaceFailure.Invalid(input.InstanceId, "ttl", e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private WorkspaceView View()
    {
        var snapshot = workspace;
        var facts = snapshot?.Facts;
        return new WorkspaceView
        {
            InstanceId = input.InstanceId,
            Name = snapshot?.Name ?? claimed?.Name ?? input.Name,
            OwnerId = snapshot?.OwnerId ?? claimed?.OwnerId ?? ownerId ?? Guid.Empty,
            Phase = phase,
            Status = status,
            AutostartSchedule = facts?.Workspace.AutostartSchedule ?? claimed?.AutostartSchedule,
            Ttl = facts is null ? claimed?.Ttl : facts.Workspace.Ttl,
            AutomaticUpdates = facts?.Workspace.AutomaticUpdates ?? AutomaticUpdates.Never,
            BuildNumber = snapshot?.BuildNumber ?? 0,
            LatestTransition = facts?.LatestBuild.Transition,
            LatestStatus = facts?.LatestBuild.Status,
            LatestReason = facts?.LatestBuild.Reason,
            Deadline = facts?.LatestBuild.Deadline,
            MaxDeadline = facts?.LatestBuild.MaxDeadline,
            NextStartAt = facts?.Workspace.NextStartAt,
            LastUsedAt = facts?.Workspace.LastUsedAt,
            DormantAt = facts?.Workspace.DormantAt,
            DeletingAt = facts?.Workspace.DeletingAt,
            NextDueAt = phase == InstancePhase.Workspace ? nextDueAt : null,
        };
    }

    /// <summary>An update waiting for the loop: a build (transition set) or a schedule change.</summary>
    private sealed class WorkspaceCommand(BuildTransition? transition, Guid initiatorId, WorkspaceScheduleChange? schedule)
    {
        public BuildTransition? Transition { get; } = transition;

        public Guid InitiatorId { get; } = initiatorId;

        public WorkspaceScheduleChange? Schedule { get; } = schedule;

        public bool Done { get; set; }

        public WorkspaceView? View { get; set; }

        public Temporalio.Exceptions.ApplicationFailureException? Failure { get; set; }
    }
}
