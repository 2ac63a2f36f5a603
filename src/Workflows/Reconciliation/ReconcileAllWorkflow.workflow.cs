using Lifecycle.Workflows.Prebuilds;
using Microsoft.Extensions.Logging;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// One reconciliation pass, started by the <c>reconcile-all</c> schedule (overlap Skip replaces Coder's global
/// advisory lock): one snapshot activity, the pure decision for every preset, then one <c>ReconcilePreset</c> child
/// per preset with work, at most <see cref="ReconcileAllInput.MaxPendingChildren"/> pending at once.
/// </summary>
[Workflow("ReconcileAll")]
public sealed class ReconcileAllWorkflow
{
    /// <summary>The patch id guarding the drift sweep start, so passes recorded before it replay unchanged.</summary>
    private const string DriftSweepPatch = "instance-drift-sweep";

    private static readonly ActivityOptions SnapshotCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new() { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromSeconds(30), MaximumAttempts = 5 },
    };

    private static readonly LocalActivityOptions ReportCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(5),
        RetryPolicy = new() { MaximumAttempts = 2 },
    };

    /// <summary>Runs one pass and says what it did.</summary>
    [WorkflowRun]
    public async Task<ReconcileAllResult> RunAsync(ReconcileAllInput input)
    {
        var bound = Math.Clamp(input.MaxConcurrentPresets, 1, ReconcileAllInput.MaxPendingChildren);
        var pass = await Workflow.ExecuteActivityAsync(
            (IReconcileActivities a) => a.ReadSnapshotAsync(new PrebuildSnapshotRequest(input.Options)),
            SnapshotCall);

        ReconcileAllResult result;
        if (pass.Snapshot.ReconciliationPaused)
        {
            // B3: paused means no child, no create, no cancel; instances already started carry on.
            result = new ReconcileAllResult(Paused: true, pass.PresetsRead, 0, 0, 0, 0, []);
        }
        else
        {
            var work = PresetReconciliation.DecideAll(pass.Snapshot, pass.ReadAt, pass.Options).Where(d => d.HasWork).ToList();
            result = await ReconcilePresetsAsync(pass.PresetsRead, work, bound);
        }

        if (input.DriftSweepEvery is { } every && every > TimeSpan.Zero && Workflow.Patched(DriftSweepPatch))
        {
            await StartDriftSweepAsync(every);
        }

        await Workflow.ExecuteLocalActivityAsync(
            (IReconcileActivities a) => a.ReportPassAsync(new ReconcilePassReport(
                Workflow.UtcNow - Workflow.Info.StartTime, result.Paused, result.Presets, result.PresetsWithWork, result.Failed)),
            ReportCall);
        return result;
    }

    /// <summary>
    /// Starts this window's drift sweep unless an earlier pass did (the id names the window: the first pass wins). The
    /// sweep is abandoned, not awaited: listing every provider must not hold up the next pass.
    /// </summary>
    private static async Task StartDriftSweepAsync(TimeSpan every)
    {
        var window = new DateTime(Workflow.Info.StartTime.Ticks / every.Ticks * every.Ticks, DateTimeKind.Utc);
        try
        {
            await Workflow.StartChildWorkflowAsync(
                (InstanceDriftSweepWorkflow w) => w.RunAsync(new DriftSweepInput(DriftSweepInput.DefaultLostGrace)),
                new ChildWorkflowOptions
                {
                    Id = $"instance-drift-sweep:{window:yyyyMMdd'T'HHmm}",
                    IdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.RejectDuplicate,
                    ParentClosePolicy = ParentClosePolicy.Abandon,
                    RunTimeout = every,
                });
        }
        catch (WorkflowAlreadyStartedException)
        {
            Workflow.Logger.LogDebug("drift sweep of window {Window} already started by an earlier pass", window);
        }
    }

    private static async Task<ReconcileAllResult> ReconcilePresetsAsync(int presets, List<PresetDecision> work, int bound)
    {
        var passId = Workflow.Info.RunId;
        var outcomes = new List<ChildOutcome>(work.Count);
        var pending = new List<Task<ChildOutcome>>();
        foreach (var decision in work)
        {
            if (pending.Count >= bound)
            {
                var done = await Workflow.WhenAnyAsync(pending);
                pending.Remove(done);
                outcomes.Add(await done);
            }
            pending.Add(ReconcilePresetAsync(passId, decision));
        }
        outcomes.AddRange(await Workflow.WhenAllAsync(pending));

        var failed = outcomes.Where(o => o.Kind == ChildOutcomeKind.Failed).Select(o => o.PresetId).ToList();
        return new ReconcileAllResult(
            Paused: false,
            presets,
            work.Count,
            outcomes.Count(o => o.Kind == ChildOutcomeKind.Reconciled),
            outcomes.Count(o => o.Kind == ChildOutcomeKind.AlreadyRunning),
            failed.Count,
            failed);
    }

    private static async Task<ChildOutcome> ReconcilePresetAsync(string passId, PresetDecision decision)
    {
        try
        {
            var child = await Workflow.StartChildWorkflowAsync(
                (ReconcilePresetWorkflow w) => w.RunAsync(new ReconcilePresetInput(passId, decision)),
                new ChildWorkflowOptions
                {
                    Id = WorkflowIds.Preset(decision.PresetId),
                    IdReusePolicy = Temporalio.Api.Enums.V1.WorkflowIdReusePolicy.AllowDuplicate,
                    // The pass is the unit of work: if it is terminated, its children's half-done work is redone by
                    // the next pass from a fresh snapshot, and every action is idempotent.
                    ParentClosePolicy = ParentClosePolicy.Terminate,
                    RunTimeout = TimeSpan.FromMinutes(30),
                });
            await child.GetResultAsync();
            return new ChildOutcome(decision.PresetId, ChildOutcomeKind.Reconciled);
        }
        catch (WorkflowAlreadyStartedException)
        {
            // A child of an earlier pass still owns the preset (the id is the lock): it is not this pass's failure.
            Workflow.Logger.LogInformation("preset {PresetId}: still reconciled by an earlier pass, skipped", decision.PresetId);
            return new ChildOutcome(decision.PresetId, ChildOutcomeKind.AlreadyRunning);
        }
        catch (ChildWorkflowFailureException e)
        {
            // B6: one preset's failure is logged and never aborts the others.
            Workflow.Logger.LogWarning(e, "preset {PresetId}: reconciliation failed", decision.PresetId);
            return new ChildOutcome(decision.PresetId, ChildOutcomeKind.Failed);
        }
    }

    private enum ChildOutcomeKind
    {
        Reconciled,
        AlreadyRunning,
        Failed,
    }

    private sealed record ChildOutcome(Guid PresetId, ChildOutcomeKind Kind);
}
