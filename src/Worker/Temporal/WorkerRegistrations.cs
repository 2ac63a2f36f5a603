using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Extensions.Hosting;

namespace Lifecycle.Worker.Temporal;

/// <summary>
/// The one place workflows and activities join the worker (task queue from LIFECYCLE_TEMPORAL_TASK_QUEUE). Add yours
/// here: <c>.AddWorkflow&lt;InstanceWorkflow&gt;().AddScopedActivities&lt;InstanceActivities&gt;()</c>.
/// </summary>
public static class WorkerRegistrations
{
    /// <summary>Search attributes the workflows upsert (name=type), registered on the embedded dev server at launch.</summary>
    public static IReadOnlyList<string> SearchAttributes { get; } = ["PresetId=Keyword", "TemplateId=Keyword", "InstanceState=Keyword"];

    public static ITemporalWorkerServiceOptionsBuilder AddLifecycleWorkflows(this ITemporalWorkerServiceOptionsBuilder worker) =>
        worker
            .AddSingletonActivities<StoreProbeActivities>()
            .AddWorkflow<InstanceWorkflow>()
            .AddSingletonActivities<InstanceActivities>()
            .AddWorkflow<ReconcileAllWorkflow>()
            .AddWorkflow<ReconcilePresetWorkflow>()
            .AddSingletonActivities<ReconcileActivities>()
            .AddWorkflow<InstanceDriftSweepWorkflow>()
            .AddSingletonActivities<DriftActivities>()
            .AddSingletonActivities<ClaimActivities>()
            .AddSingletonActivities<Lifecycle.Activities.Workspaces.WorkspaceActivities>();
}
