using Lifecycle.Workflows.Reconciliation;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// The <c>reconcile-all</c> schedule: Coder's reconciliation ticker as a Temporal schedule. Overlap Skip means a pass
/// never starts while the previous one runs (the global lock); operators trigger, pause and inspect it with the temporal
/// CLI or UI.
/// </summary>
public static class ReconcileSchedule
{
    /// <summary>The schedule id.</summary>
    public const string Id = "reconcile-all";

    /// <summary>Coder's default reconciliation interval.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Creates the schedule, or updates an existing one's interval, action and policy, keeping its state: a schedule an
    /// operator paused stays paused across worker restarts. An interval of zero or less falls back to 5 minutes (B1).
    /// </summary>
    public static async Task EnsureAsync(ITemporalClient client, string taskQueue, TimeSpan interval)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskQueue);
        if (interval <= TimeSpan.Zero)
            interval = TimeSpan.FromMinutes(5);
        var action = ScheduleActionStartWorkflow.Create(
            (ReconcileAllWorkflow w) => w.RunAsync(new ReconcileAllInput(null, ReconcileAllInput.MaxPendingChildren, ReconcileAllInput.DefaultDriftSweepEvery)),
            new WorkflowOptions(Id, taskQueue) { RunTimeout = TimeSpan.FromMinutes(30) });
        var spec = new ScheduleSpec { Intervals = [new ScheduleIntervalSpec(interval)] };
        var policy = new SchedulePolicy { Overlap = ScheduleOverlapPolicy.Skip };
        try
        {
            await client.CreateScheduleAsync(Id, new Schedule(action, spec) { Policy = policy });
        }
        catch (ScheduleAlreadyRunningException)
        {
            await client.GetScheduleHandle(Id).UpdateAsync(update => new ScheduleUpdate(
                update.Description.Schedule with { Action = action, Spec = spec, Policy = policy }));
        }
    }
}
