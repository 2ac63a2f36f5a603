using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>The workflow execution timeout spans the whole chain: continue-as-new runs and retries share one deadline.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class ExecutionTimeoutTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Execution_timeout_ends_a_continue_as_new_chain_at_its_deadline()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var e = await RemainderWorker.RunAsync(temporal, queue, async () =>
        {
            var handle = await temporal.Client.StartWorkflowAsync(
                (HalfHourlyWorkflow w) => w.RunAsync(0),
                new(id, queue) { ExecutionTimeout = TimeSpan.FromMinutes(70) });
            return await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        });

        Assert.IsType<TimeoutFailureException>(e.InnerException);
        var runs = await temporal.Client.ListWorkflowsAsync($"WorkflowId = '{id}'").ToListAsync();
        Assert.Equal(
            [WorkflowExecutionStatus.TimedOut, WorkflowExecutionStatus.ContinuedAsNew, WorkflowExecutionStatus.ContinuedAsNew],
            runs.Select(r => r.Status));
        var first = runs[^1];
        var last = runs[0];
        Assert.InRange(last.CloseTime!.Value - first.StartTime, TimeSpan.FromMinutes(70), TimeSpan.FromMinutes(70.5));
        var lastStart = (await temporal.Client.GetWorkflowHandle(id, last.RunId).FetchHistoryAsync()).Events.First().WorkflowExecutionStartedEventAttributes;
        Assert.Equal(first.StartTime.AddMinutes(70), lastStart.WorkflowExecutionExpirationTime.ToDateTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Execution_timeout_stops_retries_whose_backoff_would_pass_the_deadline()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var e = await RemainderWorker.RunAsync(temporal, queue, async () =>
        {
            var handle = await temporal.Client.StartWorkflowAsync(
                (AlwaysFailingWorkflow w) => w.RunAsync(),
                new(id, queue)
                {
                    ExecutionTimeout = TimeSpan.FromHours(1),
                    RetryPolicy = new() { InitialInterval = TimeSpan.FromMinutes(25), BackoffCoefficient = 1 },
                });
            return await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        });

        // Attempts at 0, 25 and 50 minutes; a fourth would start at 75 minutes, after the one-hour deadline.
        Assert.Equal("attempt 3 fails", e.InnerException?.Message);
        var runs = await temporal.Client.ListWorkflowsAsync($"WorkflowId = '{id}'").ToListAsync();
        var closed = (await temporal.Client.GetWorkflowHandle(id, runs[0].RunId).FetchHistoryAsync()).Events.Last();
        Assert.Equal(RetryState.Timeout, closed.WorkflowExecutionFailedEventAttributes.RetryState);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(WorkflowExecutionStatus.Failed, r.Status));
    }
}
