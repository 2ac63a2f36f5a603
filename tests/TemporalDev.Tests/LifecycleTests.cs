using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Cancel, terminate, workflow-task retries, workflow retries, continue-as-new, children and properties.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class LifecycleTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Cancel_request_ends_the_workflow_canceled()
    {
        var queue = temporal.NewTaskQueue();
        var (e, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.CancelAsync();
            return (await Assert.ThrowsAsync<WorkflowFailedException>(() => h.GetResultAsync()), h);
        });

        Assert.IsType<CanceledFailureException>(e.InnerException);
        var (types, _) = await WorkerScope.HistoryAsync(handle);
        Assert.True(types.IndexOf(EventType.WorkflowExecutionCancelRequested) < types.IndexOf(EventType.WorkflowExecutionCanceled));
        // The cancel may reach the workflow before or after it started its timer; either way a task completion closes it.
        Assert.Contains(types[^2], new[] { EventType.WorkflowTaskCompleted, EventType.TimerCanceled });
        Assert.Equal(EventType.WorkflowExecutionCanceled, types[^1]);
    }

    [Fact]
    public async Task Terminate_ends_the_workflow_without_a_workflow_task()
    {
        var queue = temporal.NewTaskQueue();
        var e = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.TerminateAsync("because the test says so");
            return await Assert.ThrowsAsync<WorkflowFailedException>(() => h.GetResultAsync());
        });

        var terminated = Assert.IsType<TerminatedFailureException>(e.InnerException);
        Assert.Contains("because the test says so", terminated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_workflow_task_is_retried_by_the_server()
    {
        var queue = temporal.NewTaskQueue();
        var (attempts, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((FlakyTaskWorkflow w) => w.RunAsync(1), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal(2, attempts);
        var history = await handle.FetchHistoryAsync();
        var failed = history.Events.Single(ev => ev.EventType == EventType.WorkflowTaskFailed);
        Assert.Contains("task failure 1", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
        var retried = history.Events.Last(ev => ev.EventType == EventType.WorkflowTaskScheduled);
        Assert.Equal(2, retried.WorkflowTaskScheduledEventAttributes.Attempt);
    }

    [Fact]
    public async Task Unreported_workflow_task_failure_is_retried_after_the_task_timeout()
    {
        // The SDK reports only the first failure of a task; the second attempt ends by the server's timeout (1 s here).
        var queue = temporal.NewTaskQueue();
        var (attempts, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync(
                (FlakyTaskWorkflow w) => w.RunAsync(2),
                new(temporal.NewWorkflowId(), queue) { TaskTimeout = TimeSpan.FromSeconds(1) });
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal(3, attempts);

        // As on the real server, only the first failure is written; the timed-out second attempt is transient and leaves
        // nothing, and the third attempt's events are written when it completes, carrying its attempt number.
        var (types, history) = await WorkerScope.HistoryAsync(handle);
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed,
                EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted,
            ],
            types);
        Assert.Equal(3, history.Events.ElementAt(4).WorkflowTaskScheduledEventAttributes.Attempt);
        WorkerScope.AssertReferences(history.Events);
    }

    [Fact]
    public async Task Workflow_retry_policy_runs_a_failed_workflow_again()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var attempt = await WorkerScope.RunAsync(temporal, queue, () => temporal.Client.ExecuteWorkflowAsync(
            (RetriedWorkflow w) => w.RunAsync(),
            new(id, queue) { RetryPolicy = new() { InitialInterval = TimeSpan.FromMinutes(1), MaximumAttempts = 3 } }));

        Assert.Equal(2, attempt);
    }

    [Fact]
    public async Task Continue_as_new_chain_is_followed_by_GetResult()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var (count, first) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((CountingWorkflow w) => w.RunAsync(0, 3), new(id, queue));
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal(3, count);
        var firstHistory = await temporal.Client.GetWorkflowHandle(id, first.ResultRunId).FetchHistoryAsync();
        var continued = firstHistory.Events.Last();
        Assert.Equal(EventType.WorkflowExecutionContinuedAsNew, continued.EventType);
        var latest = await temporal.Client.GetWorkflowHandle(id).DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Completed, latest.Status);
        var raw = await temporal.Client.Connection.WorkflowService.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = new() { WorkflowId = id } });
        Assert.Equal(first.ResultRunId, raw.WorkflowExecutionInfo.FirstRunId);
        Assert.NotEqual(first.ResultRunId, raw.WorkflowExecutionInfo.Execution.RunId);
    }

    [Fact]
    public async Task Child_workflow_result_reaches_the_parent()
    {
        var queue = temporal.NewTaskQueue();
        var (result, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((ParentWorkflow w) => w.RunAsync("shout"), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal("SHOUT", result);
        var (types, history) = await WorkerScope.HistoryAsync(handle);
        Assert.Contains(EventType.StartChildWorkflowExecutionInitiated, types);
        Assert.Contains(EventType.ChildWorkflowExecutionStarted, types);
        Assert.Contains(EventType.ChildWorkflowExecutionCompleted, types);
        WorkerScope.AssertReferences(history.Events);
        var child = await temporal.Client.GetWorkflowHandle($"{handle.Id}-child").DescribeAsync();
        Assert.Equal(handle.Id, child.ParentId);
    }

    [Fact]
    public async Task Child_workflow_failure_reaches_the_parent()
    {
        var queue = temporal.NewTaskQueue();
        var result = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((ParentWorkflow w) => w.RunAsync("fail"), new(temporal.NewWorkflowId(), queue)));

        Assert.Equal("child failed: ChildError", result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Parent_close_policy_applies_to_running_children(bool abandon)
    {
        var queue = temporal.NewTaskQueue();
        var childId = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((ClosingParentWorkflow w) => w.RunAsync(abandon), new(temporal.NewWorkflowId(), queue)));

        // An abandoned child lives on (and, with time skipping, may already have slept its year away).
        var status = (await temporal.Client.GetWorkflowHandle(childId).DescribeAsync()).Status;
        if (abandon) Assert.NotEqual(WorkflowExecutionStatus.Terminated, status);
        else Assert.Equal(WorkflowExecutionStatus.Terminated, status);

        // A live abandoned child would wake after its year with no worker polling, and its scheduled workflow task
        // would hold time skipping for every later test on this shared server.
        if (status == WorkflowExecutionStatus.Running) await temporal.Client.GetWorkflowHandle(childId).TerminateAsync("test over");
    }

    [Fact]
    public async Task Search_attributes_and_memo_upserts_show_in_Describe()
    {
        var queue = temporal.NewTaskQueue();
        await temporal.Client.Connection.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = temporal.Client.Options.Namespace,
            SearchAttributes = { [PropertiesWorkflow.Color.Name] = PropertiesWorkflow.Color.ValueType },
        });
        var description = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((PropertiesWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.DoneAsync());
            await h.GetResultAsync();
            return await h.DescribeAsync();
        });

        Assert.Equal("blue", description.TypedSearchAttributes.Get(PropertiesWorkflow.Color));
        Assert.Equal("platform", await description.Memo["owner"].ToValueAsync<string>());
    }

    [Fact]
    public async Task Run_timeout_ends_the_workflow_timed_out_on_the_virtual_clock()
    {
        var queue = temporal.NewTaskQueue();
        var (e, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync(
                (WaitForeverWorkflow w) => w.RunAsync(),
                new(temporal.NewWorkflowId(), queue) { RunTimeout = TimeSpan.FromHours(2) });
            return (await Assert.ThrowsAsync<WorkflowFailedException>(() => h.GetResultAsync()), h);
        });

        Assert.IsType<TimeoutFailureException>(e.InnerException);
        Assert.Equal(WorkflowExecutionStatus.TimedOut, (await handle.DescribeAsync()).Status);
    }
}
