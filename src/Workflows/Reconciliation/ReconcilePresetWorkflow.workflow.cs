using Lifecycle.Workflows.Prebuilds;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Lifecycle.Workflows.Reconciliation;

/// <summary>
/// Carries out one preset's decision of one pass, action by action in the decided order (spec §3.6). The id
/// <c>preset:{presetId}</c> is the per-preset lock: two passes never act on the same preset at once. Errors of one
/// action are collected and the other actions still run (B27); the run fails at the end if any did.
/// </summary>
[Workflow("ReconcilePreset")]
public sealed class ReconcilePresetWorkflow
{
    /// <summary>Instances inserted and started per activity: bounds each activity's time and payload.</summary>
    public const int CreateBatchSize = 50;

    /// <summary>Prebuilds checked and signalled per delete activity.</summary>
    public const int DeleteBatchSize = 100;

    private static readonly ActivityOptions StoreCall = new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new() { InitialInterval = TimeSpan.FromSeconds(1), BackoffCoefficient = 2, MaximumInterval = TimeSpan.FromSeconds(30), MaximumAttempts = 5 },
    };

    /// <summary>Carries out the decision; fails after the last action when any action failed.</summary>
    [WorkflowRun]
    public async Task<ReconcilePresetResult> RunAsync(ReconcilePresetInput input)
    {
        var presetId = input.Decision.PresetId;
        var tally = new Tally();
        var problems = new List<string>();
        foreach (var action in input.Decision.Actions)
        {
            try
            {
                await CarryOutAsync(input.PassId, presetId, action, tally);
            }
            catch (ActivityFailureException e)
            {
                var problem = $"preset {presetId}: {action.Kind} failed: {e.InnerException?.Message ?? e.Message}";
                Workflow.Logger.LogWarning("{Problem}", problem);
                problems.Add(problem);
            }
        }

        if (problems.Count > 0)
            throw new ApplicationFailureException(string.Join("; ", problems), "PresetReconciliationFailed", nonRetryable: true);
        return new ReconcilePresetResult(presetId, tally.Created, tally.DeleteRequested, tally.SkippedClaimed, tally.Canceled, tally.Marked, tally.Notifications);
    }

    private static async Task CarryOutAsync(string passId, Guid presetId, PrebuildAction action, Tally tally)
    {
        switch (action.Kind)
        {
            case PrebuildActionKind.MarkHardLimited:
                var marked = await Workflow.ExecuteActivityAsync(
                    (IReconcileActivities a) => a.MarkHardLimitedAsync(new MarkHardLimitedRequest(presetId, action.NotificationKey!)),
                    StoreCall);
                tally.Marked = marked.Marked;
                tally.Notifications += marked.NotificationsEnqueued;
                break;
            case PrebuildActionKind.CancelPending:
                var canceled = await Workflow.ExecuteActivityAsync(
                    (IReconcileActivities a) => a.CancelPendingAsync(new CancelPendingRequest(presetId)),
                    StoreCall);
                tally.Canceled += canceled.CanceledInstanceIds.Count;
                break;
            case PrebuildActionKind.Delete:
                foreach (var batch in action.DeleteIds.Chunk(DeleteBatchSize))
                {
                    var deleted = await Workflow.ExecuteActivityAsync(
                        (IReconcileActivities a) => a.DeletePrebuildsAsync(new DeletePrebuildsRequest(presetId, batch, action.DeleteReason ?? PrebuildDeleteReason.Extraneous)),
                        StoreCall);
                    tally.DeleteRequested += deleted.Signalled.Count;
                    tally.SkippedClaimed += deleted.Claimed.Count;
                }
                break;
            case PrebuildActionKind.Create:
                await CreateAsync(passId, presetId, action.Create, tally);
                break;
            default:
                // Backoff is informational: the decision already left out every create and delete.
                break;
        }
    }

    private static async Task CreateAsync(string passId, Guid presetId, int count, Tally tally)
    {
        for (var first = 0; first < count; first += CreateBatchSize)
        {
            var size = Math.Min(CreateBatchSize, count - first);
            var inserted = await Workflow.ExecuteActivityAsync(
                (IReconcileActivities a) => a.InsertPrebuildsAsync(new InsertPrebuildsRequest(passId, presetId, first, size)),
                StoreCall);
            if (inserted.Refusal is { } refusal)
            {
                // The preset changed since the snapshot (new version, template deleted): the next pass drains it.
                Workflow.Logger.LogInformation("preset {PresetId}: no prebuilds created: {Refusal}", presetId, refusal);
                return;
            }
            await Workflow.ExecuteActivityAsync(
                (IReconcileActivities a) => a.StartInstancesAsync(new StartInstancesRequest(inserted.Instances)),
                StoreCall);
            // Keys are per pass, so every instance returned is this run's, even one a retried attempt inserted.
            tally.Created += inserted.Instances.Count;
        }
    }

    private sealed class Tally
    {
        public int Created { get; set; }

        public int DeleteRequested { get; set; }

        public int SkippedClaimed { get; set; }

        public int Canceled { get; set; }

        public bool Marked { get; set; }

        public int Notifications { get; set; }
    }
}
