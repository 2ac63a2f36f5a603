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

    private const int UpdateAttempts = 3;

    private const string ReconcileAllWorkflowName = "ReconcileAll";

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
            return;
        }
        catch (ScheduleAlreadyRunningException)
        {
            // Another worker, or an earlier start, made it: bring its definition up to date below.
        }

        // A restart with the same configuration sends no update at all, so it cannot disturb the schedule's state. A
        // changed configuration is written with the described state (paused, notes, remaining actions) carried back
        // unchanged; should the server reject it because the schedule changed meanwhile (FailedPrecondition), re-read.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.GetScheduleHandle(Id).UpdateAsync(update =>
                    UpToDate(update.Description.Schedule, taskQueue, interval)
                        ? null
                        : new ScheduleUpdate(update.Description.Schedule with { Action = action, Spec = spec, Policy = policy }));
                return;
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.FailedPrecondition && attempt < UpdateAttempts)
            {
                // The schedule changed between the describe and the update.
            }
        }
    }

    private static bool UpToDate(Schedule schedule, string taskQueue, TimeSpan interval) =>
        schedule.Action is ScheduleActionStartWorkflow { Workflow: ReconcileAllWorkflowName } start
        && start.Options.TaskQueue == taskQueue
        && start.Options.Id == Id
        && schedule.Policy.Overlap == ScheduleOverlapPolicy.Skip
        && schedule.Spec.Intervals.Count == 1
        && schedule.Spec.Intervals.First() is { } only
        && only.Every == interval
        && (only.Offset ?? TimeSpan.Zero) == TimeSpan.Zero
        && schedule.Spec.Calendars.Count == 0
        && schedule.Spec.CronExpressions.Count == 0;
}
