using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Client.Schedules;
using Temporalio.Worker;
using Temporalio.Workflows;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// The <c>reconcile-all</c> interval in skipped time. A server of its own: a workflow left with pending work on a queue
/// nobody polls (as other schedule tests leave Instance workflows) would hold the time-skipping lock.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReconcileScheduleIntervalTests(TemporalFixture temporal) : IClassFixture<TemporalFixture>
{
    [Fact]
    public async Task The_interval_starts_passes_and_overlap_skip_never_starts_one_while_the_last_runs()
    {
        // A pass that never ends (a stand-in registered as ReconcileAll): every later tick must be skipped.
        var taskQueue = temporal.NewTaskQueue("endless-pass");
        var handle = temporal.Client.GetScheduleHandle(ReconcileSchedule.Id);
        await ReconcileScheduleTests.StartWorkerAsync(temporal, taskQueue, "00:10:00");
        using var worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<EndlessPassWorkflow>());
        try
        {
            await worker.ExecuteAsync(async () =>
            {
                await temporal.Env.DelayAsync(TimeSpan.FromMinutes(20.5));
                var described = await handle.DescribeAsync();

                Assert.Equal(1, described.Info.NumActions);
                Assert.True(described.Info.NumActionsSkippedOverlap >= 1, $"skipped {described.Info.NumActionsSkippedOverlap}");
                var running = Assert.IsType<ScheduleActionExecutionStartWorkflow>(Assert.Single(described.Info.RunningActions));
                Assert.StartsWith(ReconcileSchedule.Id, running.WorkflowId, StringComparison.Ordinal);
                await temporal.Client.GetWorkflowHandle(running.WorkflowId).TerminateAsync("test done");
            });
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    /// <summary>Stands in for a pass that is still running when the next interval comes.</summary>
    [Workflow("ReconcileAll")]
    private sealed class EndlessPassWorkflow
    {
        [WorkflowRun]
        public Task RunAsync(ReconcileAllInput input) => Workflow.WaitConditionAsync(() => input is null);
    }
}
