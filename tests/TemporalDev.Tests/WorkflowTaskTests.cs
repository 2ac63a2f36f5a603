using Lifecycle.Testing.Temporal;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>
/// The workflow-task path seen by a hand-driven worker (raw RPCs), where the SDK would hide what the server does:
/// transient attempts, tasks in flight when the run closes, and polls cancelled by their caller.
/// </summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class WorkflowTaskTests(TemporalFixture temporal)
{
    private const string Identity = "hand-driven-worker";

    private WorkflowService Service => temporal.Client.Connection.WorkflowService;

    private string Namespace => temporal.Client.Options.Namespace;

    [Fact]
    public async Task Retried_attempts_are_transient_until_one_completes()
    {
        var queue = temporal.NewTaskQueue();
        var handle = await StartAsync(queue);

        var first = await PollAsync(queue);
        Assert.Equal(1, first.Attempt);
        await FailAsync(first);
        var afterFirstFailure = await EventTypesAsync(handle);
        Assert.Equal(EventType.WorkflowTaskFailed, afterFirstFailure[^1]);

        // The second attempt's scheduled and started events reach the worker but not history.
        var second = await PollAsync(queue);
        Assert.Equal(2, second.Attempt);
        var sent = second.History.Events.ToList();
        Assert.Equal(afterFirstFailure.Count + 2, sent.Count);
        Assert.Equal(EventType.WorkflowTaskScheduled, sent[^2].EventType);
        Assert.Equal(2, sent[^2].WorkflowTaskScheduledEventAttributes.Attempt);
        Assert.Equal(EventType.WorkflowTaskStarted, sent[^1].EventType);
        Assert.Equal(sent[^1].EventId, second.StartedEventId);
        Assert.Equal(afterFirstFailure, await EventTypesAsync(handle));

        // A failed transient attempt leaves nothing either.
        await FailAsync(second);
        var third = await PollAsync(queue);
        Assert.Equal(3, third.Attempt);
        Assert.Equal(second.StartedEventId, third.StartedEventId);
        Assert.Equal(afterFirstFailure, await EventTypesAsync(handle));

        await CompleteAsync(third);
        var history = (await handle.FetchHistoryAsync()).Events.ToList();
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed,
                EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted,
            ],
            history.Select(e => e.EventType));
        Assert.Equal(3, history[4].WorkflowTaskScheduledEventAttributes.Attempt);
        Assert.Equal(third.StartedEventId, history[5].EventId);
        WorkerScope.AssertReferences(history);
    }

    [Fact]
    public async Task Completing_a_task_of_a_terminated_run_is_NotFound_and_writes_nothing()
    {
        var queue = temporal.NewTaskQueue();
        var handle = await StartAsync(queue);
        var task = await PollAsync(queue);
        await handle.TerminateAsync("closed while the task was out");

        var e = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(task));
        Assert.Equal(RpcException.StatusCode.NotFound, e.Code);
        Assert.Equal("Workflow task not found.", e.Message);

        // As the real server: the started task is failed (force close), then the run is terminated, and nothing follows.
        var history = (await handle.FetchHistoryAsync()).Events.ToList();
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed, EventType.WorkflowExecutionTerminated],
            history.Select(ev => ev.EventType));
        Assert.Equal(WorkflowTaskFailedCause.ForceCloseCommand, history[3].WorkflowTaskFailedEventAttributes.Cause);
    }

    [Fact]
    public async Task Cancel_request_during_a_task_fails_its_close_command_and_reaches_the_next_task()
    {
        var queue = temporal.NewTaskQueue();
        var handle = await StartAsync(queue);
        var task = await PollAsync(queue);
        await handle.CancelAsync();

        // The worker closes the run without having seen the cancel request: the server refuses the close.
        await CompleteAsync(task);
        var next = await PollAsync(queue);
        var seen = next.History.Events.Select(e => e.EventType).ToList();
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed,
                EventType.WorkflowExecutionCancelRequested, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted,
            ],
            seen);
        Assert.Equal(WorkflowTaskFailedCause.UnhandledCommand, next.History.Events[3].WorkflowTaskFailedEventAttributes.Cause);

        var stale = await Assert.ThrowsAsync<RpcException>(() => CompleteAsync(task));
        Assert.Equal(RpcException.StatusCode.NotFound, stale.Code);
        await RespondAsync(next, new Command { CommandType = CommandType.CancelWorkflowExecution, CancelWorkflowExecutionCommandAttributes = new() });
        var closed = await handle.DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Canceled, closed.Status);
    }

    [Fact]
    public async Task A_poll_cancelled_by_its_caller_does_not_lose_the_task()
    {
        var queue = temporal.NewTaskQueue();
        using var cancel = new CancellationTokenSource();
        var abandoned = Service.PollWorkflowTaskQueueAsync(
            new() { Namespace = Namespace, TaskQueue = new() { Name = queue }, Identity = Identity },
            new() { CancellationToken = cancel.Token });
        await cancel.CancelAsync();
        var handle = await StartAsync(queue);
        await Assert.ThrowsAnyAsync<Exception>(() => abandoned);

        // The task goes to the next poll as its first attempt: it was not lost to the cancelled poll and left to time out.
        var task = await PollAsync(queue);
        Assert.Equal(1, task.Attempt);
        Assert.Equal(handle.Id, task.WorkflowExecution.WorkflowId);
        await CompleteAsync(task);
    }

    [Fact]
    public async Task A_sticky_poll_takes_tasks_from_the_queue_it_names_as_normal()
    {
        // Core keeps 4 of its 5 workflow pollers on its sticky queue; tasks always go to the normal queue (with the full
        // history), so those polls must serve it or a burst of tasks is handed out one poll at a time.
        var queue = temporal.NewTaskQueue();
        var sticky = Service.PollWorkflowTaskQueueAsync(new() { Namespace = Namespace, TaskQueue = StickyOf(queue), Identity = Identity });
        var handle = await StartAsync(queue);

        var task = await sticky;
        Assert.False(task.TaskToken.IsEmpty, "the sticky poll got no task");
        Assert.Equal(handle.Id, task.WorkflowExecution.WorkflowId);
        Assert.Equal(EventType.WorkflowExecutionStarted, task.History.Events[0].EventType);
        await CompleteAsync(task);
        Assert.Equal(WorkflowExecutionStatus.Completed, (await handle.DescribeAsync()).Status);
    }

    [Fact]
    public async Task Shutting_a_worker_down_ends_its_waiting_sticky_polls_without_a_task()
    {
        var queue = temporal.NewTaskQueue();
        var sticky = StickyOf(queue);
        var waiting = Service.PollWorkflowTaskQueueAsync(new() { Namespace = Namespace, TaskQueue = sticky, Identity = Identity });

        // The shutdown may reach the server before the poll does: it is repeated until the poll ends (a long poll lasts a minute).
        for (var i = 0; i < 100 && !waiting.IsCompleted; i++)
        {
            await Service.ShutdownWorkerAsync(new() { Namespace = Namespace, StickyTaskQueue = sticky.Name, Identity = Identity, Reason = "test" });
            await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }
        Assert.True(waiting.IsCompleted, "the sticky poll did not end when its worker shut down");
        Assert.True((await waiting).TaskToken.IsEmpty);

        // A task started afterwards is not lost to the ended poll: the next normal poll gets it.
        var handle = await StartAsync(queue);
        var task = await PollAsync(queue);
        Assert.Equal(handle.Id, task.WorkflowExecution.WorkflowId);
        await CompleteAsync(task);
    }

    private static Temporalio.Api.TaskQueue.V1.TaskQueue StickyOf(string queue) =>
        new() { Name = $"{queue}-sticky-{Guid.NewGuid():N}", Kind = TaskQueueKind.Sticky, NormalName = queue };

    private Task<WorkflowHandle> StartAsync(string queue) =>
        temporal.Client.StartWorkflowAsync("HandDriven", [], new(temporal.NewWorkflowId(), queue) { TaskTimeout = TimeSpan.FromMinutes(1) });

    private async Task<PollWorkflowTaskQueueResponse> PollAsync(string queue)
    {
        var response = await Service.PollWorkflowTaskQueueAsync(new() { Namespace = Namespace, TaskQueue = new() { Name = queue }, Identity = Identity });
        Assert.False(response.TaskToken.IsEmpty, "the poll got no task");
        return response;
    }

    private Task<RespondWorkflowTaskFailedResponse> FailAsync(PollWorkflowTaskQueueResponse task) => Service.RespondWorkflowTaskFailedAsync(new()
    {
        Namespace = Namespace,
        TaskToken = task.TaskToken,
        Cause = WorkflowTaskFailedCause.WorkflowWorkerUnhandledFailure,
        Failure = new() { Message = $"attempt {task.Attempt} fails" },
        Identity = Identity,
    });

    private Task<RespondWorkflowTaskCompletedResponse> CompleteAsync(PollWorkflowTaskQueueResponse task) =>
        RespondAsync(task, new Command { CommandType = CommandType.CompleteWorkflowExecution, CompleteWorkflowExecutionCommandAttributes = new() });

    private Task<RespondWorkflowTaskCompletedResponse> RespondAsync(PollWorkflowTaskQueueResponse task, Command command) => Service.RespondWorkflowTaskCompletedAsync(new()
    {
        Namespace = Namespace,
        TaskToken = task.TaskToken,
        Identity = Identity,
        Commands = { command },
    });

    private static async Task<List<EventType>> EventTypesAsync(WorkflowHandle handle) =>
        [.. (await handle.FetchHistoryAsync()).Events.Select(e => e.EventType)];
}
