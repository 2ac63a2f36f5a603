using Microsoft.Extensions.Logging;
using Temporalio.Common;
using Temporalio.Workflows;

namespace Lifecycle.Workflows.Instances;

/// <summary>
/// One instance's whole life: create (retrying with cleanup), wait for its agent, stay ready, delete (backing off, or
/// forced). The workflow id <c>instance:{id}</c> is the lock GARM keeps per instance name; durable timers replace its
/// in-memory backoff, so a restart of every process loses no instance and no timer.
/// </summary>
[Workflow("Instance")]
public sealed partial class InstanceWorkflow
{
    /// <summary>
    /// Continue-as-new past this many events even if the server has not suggested it. The checks sit where a loop comes
    /// round (after a failed create or delete), and one round adds at most 16 events, so no run passes 100 events.
    /// </summary>
    public const int HistoryLengthLimit = 80;

    // A state write is one short conditional transaction: as a local activity it costs one marker event instead of
    // an activity's three plus a workflow task's three, and an instance's whole life stays well under 100 events.
    // It retries without end (a store outage must not lose the instance); past a minute the retries wait on timers.
    private static readonly LocalActivityOptions StoreCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(30),
        RetryPolicy = new() { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromMinutes(1) },
    };

    private InstanceWorkflowInput input = null!;
    private InstancePhase phase;
    private InstanceStatus status = InstanceStatus.PendingCreate;
    private int createAttempt;
    private string? providerId;
    private TimeSpan deleteBackoff;
    private bool deleteRequested;
    private bool forceDeleteRequested;
    private bool readySignalled;
    private bool everReady;
    private bool needsCleanup;
    private string? lastFault;
    private DateTime? bootstrapDeadline;
    private bool storeReleased;
    private InstanceStatus? publishedStatus;

    /// <summary>Runs the instance from wherever the carried state says it stands until it is deleted.</summary>
    [WorkflowRun]
    public async Task<InstanceOutcome> RunAsync(InstanceWorkflowInput input)
    {
        Restore(input);
        while (phase != InstancePhase.Deleted)
        {
            phase = phase switch
            {
                InstancePhase.Creating => await CreateAsync(),
                InstancePhase.Bootstrapping => await BootstrapAsync(),
                InstancePhase.Ready => await StayReadyAsync(),
                InstancePhase.Workspace => await RunWorkspaceAsync(),
                _ => await DeleteMachineAsync(),
            };
        }
        PublishSearchAttributes();
        return new InstanceOutcome(input.InstanceId, everReady, createAttempt, lastFault);
    }

    /// <summary>The agent called back: the machine is ready for use.</summary>
    [WorkflowSignal("ready")]
    public Task ReadyAsync()
    {
        readySignalled = true;
        return Task.CompletedTask;
    }

    /// <summary>Delete the instance, now or once a create in flight settles; a forced delete ignores provider errors.</summary>
    [WorkflowSignal("delete")]
    public Task RequestDeleteAsync(DeleteInstanceRequest request)
    {
        // Someone asked: a delete the lifecycle rules began is now theirs, retried with backoff and never given up.
        deleteReason = null;
        deleteRequested = true;
        forceDeleteRequested |= request.Force;
        return Task.CompletedTask;
    }

    /// <summary>Where the instance stands.</summary>
    [WorkflowQuery("state")]
    public InstanceView State() => new(
        input.InstanceId,
        input.Name,
        phase,
        status,
        createAttempt,
        providerId,
        everReady,
        deleteRequested,
        forceDeleteRequested,
        deleteBackoff,
        lastFault)
    {
        OwnerId = claimed?.OwnerId ?? ownerId,
    };

    private void Restore(InstanceWorkflowInput start)
    {
        input = start;
        // A continued run inherits its search attributes: what they already say need not be written again.
        if (Workflow.TypedSearchAttributes.TryGetValue(InstanceSearchAttributes.State, out var published)
            && InstanceStatuses.TryParse(published, out var publishedState))
        {
            publishedStatus = publishedState;
        }
        if (start.Carry is not { } carry)
        {
            phase = InstancePhase.Creating;
            return;
        }
        phase = carry.Phase;
        status = carry.Status;
        createAttempt = carry.CreateAttempt;
        providerId = carry.ProviderId;
        deleteBackoff = carry.DeleteBackoff;
        deleteRequested = carry.DeleteRequested;
        forceDeleteRequested = carry.ForceDeleteRequested;
        readySignalled = carry.ReadySignalled;
        everReady = carry.EverReady;
        needsCleanup = carry.NeedsCleanup;
        lastFault = carry.LastFault;
        bootstrapDeadline = carry.BootstrapDeadline;
        storeReleased = carry.StoreReleased;
        claimed = carry.Claimed;
        isWorkspace = carry.IsWorkspace;
        workspaceEntered = carry.WorkspaceEntered;
        ownerId = carry.OwnerId;
        deleteReason = carry.DeleteReason;
    }

    private async Task<InstancePhase> CreateAsync()
    {
        while (true)
        {
            if (deleteRequested)
            {
                return InstancePhase.Deleting;
            }
            if (needsCleanup)
            {
                // Never create a second machine under the same name: the half-made one must be gone first (GARM #76/#79).
                var cleanup = await DeleteMachineOnceAsync(force: false);
                if (!cleanup.Deleted)
                {
                    lastFault = $"cleanup before create attempt {createAttempt + 1} failed: {cleanup.Fault}";
                    await WaitUnlessDeleteRequestedAsync(input.CreateRetry.DelayBeforeAttempt(createAttempt + 1));
                    await ContinueAsNewIfDueAsync();
                    continue;
                }
                needsCleanup = false;
                providerId = null;
                if (status == InstanceStatus.Error
                    && !await TransitionAsync(new(input.InstanceId, InstanceStatus.PendingCreate, CreateAttempt: createAttempt + 1, Forced: true)))
                {
                    return InstancePhase.Deleting;
                }
            }

            createAttempt++;
            if (!await TransitionAsync(new(input.InstanceId, InstanceStatus.Creating, CreateAttempt: createAttempt)))
            {
                // The row changed under the workflow before anything was made; the delete path looks the name up anyway.
                return InstancePhase.Deleting;
            }
            PublishSearchAttributes();
            var created = await Workflow.ExecuteActivityAsync(
                (IInstanceActivities a) => a.CreateMachineAsync(new(input.InstanceId, input.Name, input.ProviderName, input.PresetId, createAttempt)),
                ProviderCall(input.BootstrapTimeout));
            providerId = created.ProviderId;

            if (created.Created)
            {
                lastFault = null;
                await TransitionAsync(new(input.InstanceId, InstanceStatus.Running, ProviderId: providerId, CreateAttempt: createAttempt));
                bootstrapDeadline = Workflow.UtcNow + input.BootstrapTimeout;
                return deleteRequested ? InstancePhase.Deleting : InstancePhase.Bootstrapping;
            }

            // I2/I3: a failed create, or one that returned an instance in error, was cleaned up by the activity itself.
            lastFault = created.Fault ?? $"provider returned status {created.Status ?? "unknown"}";
            var givenUp = !input.CreateRetry.AfterFailure(createAttempt).Retry;
            needsCleanup = !created.CleanedUp;
            await TransitionAsync(new(input.InstanceId, InstanceStatus.Error, Fault: lastFault, ProviderId: providerId, CreateAttempt: createAttempt, CreateGivenUp: givenUp));
            if (givenUp)
            {
                return InstancePhase.Deleting;
            }
            await WaitUnlessDeleteRequestedAsync(input.CreateRetry.DelayBeforeAttempt(createAttempt + 1));
            if (!deleteRequested && !needsCleanup)
            {
                await TransitionAsync(new(input.InstanceId, InstanceStatus.PendingCreate, CreateAttempt: createAttempt + 1, Forced: true));
            }
            await ContinueAsNewIfDueAsync();
        }
    }

    private async Task<InstancePhase> BootstrapAsync()
    {
        var deadline = bootstrapDeadline ?? Workflow.UtcNow + input.BootstrapTimeout;
        var remaining = deadline - Workflow.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await WaitAsync(() => readySignalled || deleteRequested, remaining);
        }
        if (deleteRequested)
        {
            return InstancePhase.Deleting;
        }
        if (!readySignalled)
        {
            // I6: a machine that never called back is replaced, not waited on forever.
            lastFault = $"not ready within the bootstrap timeout of {input.BootstrapTimeout}";
            // running → error is outside the transition table; like GARM's reaper this write is forced.
            await TransitionAsync(new(input.InstanceId, InstanceStatus.Error, Fault: lastFault, ProviderId: providerId, CreateAttempt: createAttempt, CreateGivenUp: true, Forced: true));
            return InstancePhase.Deleting;
        }
        if (!await TransitionAsync(new(input.InstanceId, InstanceStatus.Running, ProviderId: providerId, Ready: true)))
        {
            // Not claimable: the store no longer holds this instance as the running machine it made.
            return InstancePhase.Deleting;
        }
        everReady = true;

        // A workspace made for its owner (no prebuild was claimable) is the owner's from the start.
        if (isWorkspace && Workflow.Patched(WorkspacePhasePatch))
        {
            return InstancePhase.Workspace;
        }
        isWorkspace = false;
        return InstancePhase.Ready;
    }

    private async Task<InstancePhase> StayReadyAsync()
    {
        // Runs claimed before the workspace phase existed stay here, as they did (their histories have no patch marker).
        var claimStaysReady = false;
        while (!deleteRequested)
        {
            await WaitAsync(() => deleteRequested || Workflow.ContinueAsNewSuggested || (claimed is not null && !claimStaysReady));
            if (!deleteRequested && claimed is not null && !claimStaysReady)
            {
                if (Workflow.Patched(WorkspacePhasePatch))
                {
                    isWorkspace = true;
                    return InstancePhase.Workspace;
                }
                claimStaysReady = true;
            }
            await ContinueAsNewIfDueAsync();
        }
        return InstancePhase.Deleting;
    }

    private async Task<InstancePhase> DeleteMachineAsync()
    {
        if (!status.IsDeletionLane())
        {
            await DeletionLaneTransitionAsync(forceDeleteRequested ? InstanceStatus.PendingForceDelete : InstanceStatus.PendingDelete, lastFault);
        }
        while (true)
        {
            if (!forceDeleteRequested && deleteBackoff > TimeSpan.Zero)
            {
                // I10: a force delete requested during the backoff wins at once.
                await WaitAsync(() => forceDeleteRequested, deleteBackoff);
            }
            var force = forceDeleteRequested;
            if (force && status == InstanceStatus.PendingDelete)
            {
                await DeletionLaneTransitionAsync(InstanceStatus.PendingForceDelete);
            }
            await DeletionLaneTransitionAsync(InstanceStatus.Deleting);
            var result = await DeleteMachineOnceAsync(force);
            if (result.Deleted || force)
            {
                if (!result.Deleted)
                {
                    lastFault = $"force delete ignored a provider error: {result.Fault}";
                }
                await DeletionLaneTransitionAsync(InstanceStatus.Deleted, result.Deleted ? null : lastFault);
                return InstancePhase.Deleted;
            }
            lastFault = result.Fault;
            if (isWorkspace && deleteReason == Workspaces.BuildReason.Autodelete)
            {
                // A15: a failed automatic delete is given up; the lifecycle rules try again 24 h after it failed.
                await TransitionAsync(new(input.InstanceId, InstanceStatus.Error, Fault: lastFault, ProviderId: providerId, DeleteFailed: true));
                deleteRequested = false;
                deleteReason = null;
                deleteBackoff = TimeSpan.Zero;
                workspaceStale = true;
                return InstancePhase.Workspace;
            }
            deleteBackoff = DeleteBackoff.Next(deleteBackoff);
            // deleting → pending_delete after a failed delete is a forced write in GARM's instance manager too.
            await DeletionLaneTransitionAsync(InstanceStatus.PendingDelete, lastFault, forced: true);
            await ContinueAsNewIfDueAsync();
        }
    }

    private Task<MachineDeleteResult> DeleteMachineOnceAsync(bool force) =>
        Workflow.ExecuteActivityAsync(
            (IInstanceActivities a) => a.DeleteMachineAsync(new(input.InstanceId, input.Name, input.ProviderName, providerId, force)),
            ProviderCall(TimeSpan.FromMinutes(5)));

    /// <summary>
    /// A write on the way out. Once the store no longer holds the instance (row gone or already deleted) nothing is
    /// written, but the machine is still removed. A move the table refuses from a live row is forced, as GARM's
    /// "delete runner" forces it: the delete has been decided and the row must follow it.
    /// </summary>
    private async Task DeletionLaneTransitionAsync(InstanceStatus to, string? fault = null, bool forced = false)
    {
        if (storeReleased)
        {
            return;
        }
        var transition = new InstanceTransition(input.InstanceId, to, Fault: fault, Forced: forced);
        if (!await TransitionAsync(transition) && !storeReleased && !forced)
        {
            await TransitionAsync(transition with { Forced = true });
        }
    }

    /// <summary>
    /// Writes a state change (a local activity: one marker event) and keeps the search attributes current. False when
    /// the store refused it: the row was deleted or changed under the workflow, which then converges on deleting the
    /// machine (see <see cref="ActOnRefusal"/>).
    /// </summary>
    private async Task<bool> TransitionAsync(InstanceTransition transition)
    {
        if (isWorkspace)
        {
            // A workspace's rules compare build and job times with the workflow's clock, so they are written from it.
            transition = transition with { At = Workflow.UtcNow, Reason = deleteReason };
        }
        var result = await Workflow.ExecuteLocalActivityAsync((IInstanceActivities a) => a.TransitionAsync(transition), StoreCall);
        if (result.Refusal is not null)
        {
            ActOnRefusal(transition, result);
            return false;
        }
        status = transition.To;
        isWorkspace |= result.IsWorkspace;
        return true;
    }

    /// <summary>
    /// The store refused a write, so its row no longer says what this workflow drives (I10: an update that finds the
    /// instance gone is not an error). Row gone or deleted: nothing more is written, and the machine is removed so
    /// none is left without a row. Row moved into the deletion lane by someone else: that is a delete request. Any
    /// other state: the instance can no longer be trusted as built, so it is deleted and the reconciler replaces it.
    /// </summary>
    private void ActOnRefusal(InstanceTransition transition, InstanceTransitionResult result)
    {
        lastFault = $"store refused {transition.To.ToText()}: {result.Refusal}";
        Workflow.Logger.LogWarning("instance {InstanceId}: {Fault}; deleting the machine", input.InstanceId, lastFault);
        deleteRequested = true;
        if (result.From is null or InstanceStatus.Deleted)
        {
            storeReleased = true;
            status = InstanceStatus.Deleted;
            return;
        }
        forceDeleteRequested |= result.From == InstanceStatus.PendingForceDelete;
        status = result.From.Value;
    }

    /// <summary>
    /// Upserts the state search attribute when it differs from what was last published. Called where the workflow is
    /// about to rest (a wait, the create call, the end), not after every write: two writes in one workflow task (e.g.
    /// pending_create → creating) cost one event, and the short deleting step of a delete is not published on its own.
    /// </summary>
    private void PublishSearchAttributes()
    {
        if (publishedStatus == status)
        {
            return;
        }
        publishedStatus = status;
        // Operators find instances by state, preset and template in the Temporal UI and CLI.
        var updates = new List<SearchAttributeUpdate> { InstanceSearchAttributes.State.ValueSet(status.ToText()) };
        if (!Workflow.TypedSearchAttributes.ContainsKey(InstanceSearchAttributes.State))
        {
            if (input.PresetId is { } preset)
            {
                updates.Add(InstanceSearchAttributes.PresetId.ValueSet(preset.ToString()));
            }
            if (input.TemplateId is { } template)
            {
                updates.Add(InstanceSearchAttributes.TemplateId.ValueSet(template.ToString()));
            }
        }
        Workflow.UpsertTypedSearchAttributes([.. updates]);
    }

    private Task<bool> WaitUnlessDeleteRequestedAsync(TimeSpan delay) =>
        WaitAsync(() => deleteRequested, delay);

    /// <summary>Every wait goes through here, so the search attributes are current whenever the workflow rests.</summary>
    private Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        PublishSearchAttributes();
        return Workflow.WaitConditionAsync(condition, timeout);
    }

    private Task WaitAsync(Func<bool> condition)
    {
        PublishSearchAttributes();
        return Workflow.WaitConditionAsync(condition);
    }

    /// <summary>The server suggests continue-as-new, or the history has reached <see cref="HistoryLengthLimit"/>.</summary>
    private static bool ContinueAsNewDue => Workflow.ContinueAsNewSuggested || Workflow.CurrentHistoryLength >= HistoryLengthLimit;

    private async Task ContinueAsNewIfDueAsync()
    {
        if (!ContinueAsNewDue)
        {
            return;
        }
        // Signals are flags in the carried state, so none is lost; handlers must have finished first.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished);
        throw ContinueAsNew();
    }

    /// <summary>The continue-as-new that carries everything the next run needs (signals are flags in it, so none is lost).</summary>
    private ContinueAsNewException ContinueAsNew()
    {
        var carry = new InstanceCarry(
            phase, status, createAttempt, providerId, deleteBackoff, deleteRequested, forceDeleteRequested,
            readySignalled, everReady, needsCleanup, lastFault, bootstrapDeadline, storeReleased,
            claimed, isWorkspace, workspaceEntered, ownerId, deleteReason);
        PublishSearchAttributes();
        var next = input with { Carry = carry };
        return Workflow.CreateContinueAsNewException((InstanceWorkflow wf) => wf.RunAsync(next));
    }

    private static ActivityOptions ProviderCall(TimeSpan timeout) => new()
    {
        StartToCloseTimeout = timeout,
        HeartbeatTimeout = TimeSpan.FromSeconds(30),
        // Provider errors come back as results the workflow decides on; only a lost worker or a crash is retried here,
        // and the create adopts a machine that already exists under the instance's name.
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(1), MaximumAttempts = 3 },
    };
}
