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
    /// <summary>Continue-as-new past this many events even if the server has not suggested it: keeps runs small.</summary>
    public const int HistoryLengthLimit = 250;

    private static readonly ActivityOptions StoreCall = new()
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
                _ => await DeleteMachineAsync(),
            };
        }
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
        lastFault);

    private void Restore(InstanceWorkflowInput start)
    {
        input = start;
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
                if (status == InstanceStatus.Error)
                {
                    await TransitionAsync(new(input.InstanceId, InstanceStatus.PendingCreate, CreateAttempt: createAttempt + 1, Forced: true));
                }
            }

            createAttempt++;
            await TransitionAsync(new(input.InstanceId, InstanceStatus.Creating, CreateAttempt: createAttempt));
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

            // I2/I3: a failed create, or one that returned an instance in error, is cleaned up at once.
            lastFault = created.Fault ?? $"provider returned status {created.Status ?? "unknown"}";
            var givenUp = !input.CreateRetry.AfterFailure(createAttempt).Retry;
            var cleaned = await DeleteMachineOnceAsync(force: false);
            needsCleanup = !cleaned.Deleted;
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
            await Workflow.WaitConditionAsync(() => readySignalled || deleteRequested, remaining);
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
        everReady = true;
        await TransitionAsync(new(input.InstanceId, InstanceStatus.Running, ProviderId: providerId, Ready: true));
        return InstancePhase.Ready;
    }

    private async Task<InstancePhase> StayReadyAsync()
    {
        while (!deleteRequested)
        {
            await Workflow.WaitConditionAsync(() => deleteRequested || Workflow.ContinueAsNewSuggested);
            await ContinueAsNewIfDueAsync();
        }
        return InstancePhase.Deleting;
    }

    private async Task<InstancePhase> DeleteMachineAsync()
    {
        if (!status.IsDeletionLane())
        {
            await TransitionAsync(new(input.InstanceId, forceDeleteRequested ? InstanceStatus.PendingForceDelete : InstanceStatus.PendingDelete, Fault: lastFault));
        }
        while (true)
        {
            if (!forceDeleteRequested && deleteBackoff > TimeSpan.Zero)
            {
                // I10: a force delete requested during the backoff wins at once.
                await Workflow.WaitConditionAsync(() => forceDeleteRequested, deleteBackoff);
            }
            var force = forceDeleteRequested;
            if (force && status == InstanceStatus.PendingDelete)
            {
                await TransitionAsync(new(input.InstanceId, InstanceStatus.PendingForceDelete));
            }
            await TransitionAsync(new(input.InstanceId, InstanceStatus.Deleting));
            var result = await DeleteMachineOnceAsync(force);
            if (result.Deleted || force)
            {
                if (!result.Deleted)
                {
                    lastFault = $"force delete ignored a provider error: {result.Fault}";
                }
                await TransitionAsync(new(input.InstanceId, InstanceStatus.Deleted, Fault: result.Deleted ? null : lastFault));
                return InstancePhase.Deleted;
            }
            lastFault = result.Fault;
            deleteBackoff = DeleteBackoff.Next(deleteBackoff);
            // deleting → pending_delete after a failed delete is a forced write in GARM's instance manager too.
            await TransitionAsync(new(input.InstanceId, InstanceStatus.PendingDelete, Fault: lastFault, Forced: true));
            await ContinueAsNewIfDueAsync();
        }
    }

    private Task<MachineDeleteResult> DeleteMachineOnceAsync(bool force) =>
        Workflow.ExecuteActivityAsync(
            (IInstanceActivities a) => a.DeleteMachineAsync(new(input.InstanceId, input.Name, input.ProviderName, providerId, force)),
            ProviderCall(TimeSpan.FromMinutes(5)));

    private async Task TransitionAsync(InstanceTransition transition)
    {
        await Workflow.ExecuteActivityAsync((IInstanceActivities a) => a.TransitionAsync(transition), StoreCall);
        status = transition.To;
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
        Workflow.WaitConditionAsync(() => deleteRequested, delay);

    private async Task ContinueAsNewIfDueAsync()
    {
        if (!Workflow.ContinueAsNewSuggested && Workflow.CurrentHistoryLength < HistoryLengthLimit)
        {
            return;
        }
        // Signals are flags in the carried state, so none is lost; handlers must have finished first.
        await Workflow.WaitConditionAsync(() => Workflow.AllHandlersFinished);
        var carry = new InstanceCarry(
            phase, status, createAttempt, providerId, deleteBackoff, deleteRequested, forceDeleteRequested,
            readySignalled, everReady, needsCleanup, lastFault, bootstrapDeadline);
        var next = input with { Carry = carry };
        throw Workflow.CreateContinueAsNewException((InstanceWorkflow wf) => wf.RunAsync(next));
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
