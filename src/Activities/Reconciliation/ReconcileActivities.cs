using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Temporalio.Activities;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// The act layer of prebuild reconciliation: the snapshot read, the idempotent writes, starting and signalling Instance
/// workflows through the client, and the domain metrics. Instance workflows are started by this activity rather than as
/// children of <c>ReconcilePreset</c>: an instance lives for months, and as a child it would stay pending on its parent
/// (which may hold 500 at most), add three events per instance to the parent's history and tie its fate to a pass. A
/// client start keyed by <c>instance:{id}</c> with reuse policy RejectDuplicate is idempotent and stands alone.
/// </summary>
public sealed class ReconcileActivities(
    NpgsqlDataSource dataSource,
    ITemporalClient client,
    PrebuildMetrics metrics,
    ReconcileSettings settings,
    ILogger<ReconcileActivities>? logger = null) : IReconcileActivities
{
    private readonly ILogger logger = logger ?? NullLogger<ReconcileActivities>.Instance;

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.ReadSnapshot)]
    public async Task<PrebuildPass> ReadSnapshotAsync(PrebuildSnapshotRequest request)
    {
        var options = (request.Options ?? settings.Prebuilds).Validate();
        var read = await PrebuildSnapshotReader.ReadAsync(dataSource, options, CancellationToken);
        var decisions = PresetReconciliation.DecideAll(read.Snapshot, read.ReadAt, options);
        PublishGauges(read, decisions);
        foreach (var broken in decisions.Where(d => d.State.ExpressionError is not null))
        {
            // B16: a fallback does not show in the counts, so every pass says why, for every preset (with work or not).
            logger.LogWarning("preset {PresetId}: {ExpressionError}; the scheduled target {Desired} applies", broken.PresetId, broken.State.ExpressionError, broken.State.Desired);
        }
        var withWork = decisions.Where(d => d.HasWork).Select(d => d.PresetId).ToHashSet();
        return new PrebuildPass(PrebuildSnapshotTrim.To(read.Snapshot, withWork), options, read.ReadAt, read.Snapshot.Presets.Count);
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.InsertPrebuilds)]
    public async Task<InsertPrebuildsResult> InsertPrebuildsAsync(InsertPrebuildsRequest request)
    {
        try
        {
            var result = await PrebuildCreation.InsertAsync(dataSource, request, CancellationToken);
            var inserted = result.Instances.Count(i => i.Inserted);
            if (inserted > 0)
                logger.LogInformation("preset {PresetId}: inserted {Count} prebuild(s)", request.PresetId, inserted);
            return result;
        }
        catch (PrebuildPresetMissingException e)
        {
            throw new ApplicationFailureException(e.Message, e, "PresetMissing", nonRetryable: true);
        }
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.StartInstances)]
    public async Task<StartInstancesResult> StartInstancesAsync(StartInstancesRequest request)
    {
        var taskQueue = settings.InstanceTaskQueue ?? ActivityExecutionContext.Current.Info.TaskQueue;
        var started = await Task.WhenAll(request.Instances.Select(i => StartInstanceAsync(i, taskQueue)));
        return new StartInstancesResult(started.Count(s => s), started.Count(s => !s));
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.DeletePrebuilds)]
    public async Task<DeletePrebuildsResult> DeletePrebuildsAsync(DeletePrebuildsRequest request)
    {
        var signalled = new List<Guid>();
        var claimed = new List<Guid>();
        var gone = new List<Guid>();
        foreach (var id in request.InstanceIds)
        {
            ActivityExecutionContext.Current.Heartbeat();
            var outcome = await PrebuildDeletion.RecordDeleteAsync(dataSource, id, CancellationToken);
            switch (outcome)
            {
                case PrebuildDeleteOutcome.Claimed:
                    logger.LogInformation("preset {PresetId}: prebuild {InstanceId} not deleted: probably claimed", request.PresetId, id);
                    claimed.Add(id);
                    break;
                case PrebuildDeleteOutcome.Gone:
                    gone.Add(id);
                    break;
                default:
                    var reason = $"prebuild {ReasonText(request.Reason)}";
                    (await SignalDeleteAsync(id, reason) ? signalled : gone).Add(id);
                    break;
            }
        }
        return new DeletePrebuildsResult(signalled, claimed, gone);
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.CancelPending)]
    public async Task<CancelPendingResult> CancelPendingAsync(CancelPendingRequest request)
    {
        var canceled = await PendingPrebuildCancellation.CancelAsync(dataSource, request.PresetId, CancellationToken);
        // A workflow may already be starting the canceled instance: it must not go on to make a machine.
        foreach (var id in canceled)
            await SignalDeleteAsync(id, "prebuild initial build canceled: preset inactive");
        if (canceled.Count > 0)
            logger.LogInformation("preset {PresetId}: canceled {Count} pending prebuild(s)", request.PresetId, canceled.Count);
        return new CancelPendingResult(canceled);
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.MarkHardLimited)]
    public async Task<MarkHardLimitedResult> MarkHardLimitedAsync(MarkHardLimitedRequest request)
    {
        try
        {
            var (marked, notified) = await PresetHardLimit.MarkAsync(dataSource, request.PresetId, request.NotificationKey, CancellationToken);
            if (marked)
                logger.LogWarning("preset {PresetId}: hard failure limit reached; creates stop until an operator resets it ({Notified} admin(s) notified)", request.PresetId, notified);
            return new MarkHardLimitedResult(marked, notified);
        }
        catch (PrebuildPresetMissingException e)
        {
            throw new ApplicationFailureException(e.Message, e, "PresetMissing", nonRetryable: true);
        }
    }

    /// <inheritdoc/>
    [Activity(ReconcileActivityNames.ReportPass)]
    public Task ReportPassAsync(ReconcilePassReport report)
    {
        metrics.RecordPass(report.Duration, report.Paused);
        if (report.Failed > 0)
            logger.LogWarning("reconcile pass: {Failed} of {WithWork} preset(s) with work failed", report.Failed, report.PresetsWithWork);
        return Task.CompletedTask;
    }

    private static CancellationToken CancellationToken =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : default;

    private static string ReasonText(PrebuildDeleteReason reason) => reason switch
    {
        PrebuildDeleteReason.Expired => "expired",
        PrebuildDeleteReason.InactivePreset => "of an inactive preset",
        _ => "extraneous",
    };

    private void PublishGauges(PrebuildSnapshotRead read, IReadOnlyList<PresetDecision> decisions)
    {
        // Coder's gauges cover active presets of non-deleted templates only.
        var gauges = read.Snapshot.Presets
            .Zip(decisions, (preset, decision) => (Preset: preset, decision.State))
            .Where(p => p.Preset.IsActive)
            .Select(p => new PresetGauges(
                new PresetLabels(p.Preset.TemplateName, p.Preset.Name, p.Preset.OrganizationName),
                p.State.Desired,
                p.State.Actual,
                p.State.Eligible,
                p.State.HardLimited))
            .ToList();
        metrics.Update(read.Snapshot.ReconciliationPaused, gauges, read.Totals, read.ReadAt);
    }

    private async Task<bool> StartInstanceAsync(PrebuildInstance instance, string taskQueue)
    {
        var input = new InstanceWorkflowInput(
            instance.InstanceId,
            instance.Name,
            instance.ProviderName,
            instance.PresetId,
            instance.TemplateId,
            instance.BootstrapTimeout,
            settings.CreateRetry);
        try
        {
            await client.StartWorkflowAsync(
                (InstanceWorkflow w) => w.RunAsync(input),
                new WorkflowOptions(WorkflowIds.Instance(instance.InstanceId), taskQueue)
                {
                    // A finished Instance workflow means the instance was deleted: never start it a second time.
                    IdReusePolicy = WorkflowIdReusePolicy.RejectDuplicate,
                });
            return true;
        }
        catch (WorkflowAlreadyStartedException)
        {
            return false;
        }
    }

    /// <summary>Signals <c>delete</c>; false when the instance has no workflow (nothing left to delete).</summary>
    private async Task<bool> SignalDeleteAsync(Guid instanceId, string reason)
    {
        try
        {
            await client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(instanceId))
                .SignalAsync(w => w.RequestDeleteAsync(new DeleteInstanceRequest(Force: false, Reason: reason)));
            return true;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            logger.LogWarning("instance {InstanceId}: no running Instance workflow to signal delete", instanceId);
            return false;
        }
    }
}
