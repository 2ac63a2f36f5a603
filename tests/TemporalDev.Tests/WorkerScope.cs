using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Runs a real worker with every test workflow and activity on a fresh task queue while a test body runs.</summary>
public static class WorkerScope
{
    /// <summary>Gets every workflow the tests run, registered on every worker and replayer.</summary>
    public static IReadOnlyList<Type> Workflows { get; } =
    [
        typeof(GreetingWorkflow), typeof(TimerWorkflow), typeof(SignalQueryWorkflow), typeof(ActivityRetryWorkflow),
        typeof(NonRetryableWorkflow), typeof(ActivityTimeoutWorkflow), typeof(HeartbeatResumeWorkflow), typeof(ActivityCancelWorkflow),
        typeof(WaitForeverWorkflow), typeof(FlakyTaskWorkflow), typeof(RetriedWorkflow), typeof(CountingWorkflow), typeof(ChildWorkflow),
        typeof(ParentWorkflow), typeof(ClosingParentWorkflow), typeof(SignalSenderWorkflow), typeof(PropertiesWorkflow), typeof(LocalActivityWorkflow),
    ];

    public static async Task<T> RunAsync<T>(TemporalFixture temporal, string taskQueue, Func<Task<T>> body, TestActivities? activities = null)
    {
        var options = new TemporalWorkerOptions(taskQueue).AddAllActivities(activities ?? new TestActivities());
        foreach (var workflow in Workflows) options.AddWorkflow(workflow);
        using var worker = new TemporalWorker(temporal.Client, options);
        return await worker.ExecuteAsync(body);
    }

    public static Task RunAsync(TemporalFixture temporal, string taskQueue, Func<Task> body, TestActivities? activities = null) =>
        RunAsync(temporal, taskQueue, async () =>
        {
            await body();
            return true;
        }, activities);

    /// <summary>Fetches a run's history, checks it replays without non-determinism, and returns its event types.</summary>
    public static async Task<(List<EventType> Types, WorkflowHistory History)> HistoryAsync(WorkflowHandle handle)
    {
        var history = await handle.FetchHistoryAsync();
        var options = new WorkflowReplayerOptions();
        foreach (var workflow in Workflows) options.AddWorkflow(workflow);
        var replayer = new WorkflowReplayer(options);
        await replayer.ReplayWorkflowAsync(history);
        return (history.Events.Select(e => e.EventType).ToList(), history);
    }

    /// <summary>Asserts every cross reference in a history points at an earlier event of the expected type.</summary>
    public static void AssertReferences(IReadOnlyCollection<HistoryEvent> all)
    {
        var events = all.ToList();
        EventType TypeOf(long id) => events[(int)id - 1].EventType;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            Assert.Equal(i + 1, e.EventId);
            switch (e.EventType)
            {
                case EventType.WorkflowTaskStarted:
                    Assert.Equal(EventType.WorkflowTaskScheduled, TypeOf(e.WorkflowTaskStartedEventAttributes.ScheduledEventId));
                    break;
                case EventType.WorkflowTaskCompleted:
                    Assert.Equal(EventType.WorkflowTaskScheduled, TypeOf(e.WorkflowTaskCompletedEventAttributes.ScheduledEventId));
                    Assert.Equal(EventType.WorkflowTaskStarted, TypeOf(e.WorkflowTaskCompletedEventAttributes.StartedEventId));
                    break;
                case EventType.ActivityTaskScheduled:
                    Assert.Equal(EventType.WorkflowTaskCompleted, TypeOf(e.ActivityTaskScheduledEventAttributes.WorkflowTaskCompletedEventId));
                    break;
                case EventType.ActivityTaskStarted:
                    Assert.Equal(EventType.ActivityTaskScheduled, TypeOf(e.ActivityTaskStartedEventAttributes.ScheduledEventId));
                    break;
                case EventType.ActivityTaskCompleted:
                    Assert.Equal(EventType.ActivityTaskScheduled, TypeOf(e.ActivityTaskCompletedEventAttributes.ScheduledEventId));
                    Assert.Equal(EventType.ActivityTaskStarted, TypeOf(e.ActivityTaskCompletedEventAttributes.StartedEventId));
                    break;
                case EventType.TimerStarted:
                    Assert.Equal(EventType.WorkflowTaskCompleted, TypeOf(e.TimerStartedEventAttributes.WorkflowTaskCompletedEventId));
                    break;
                case EventType.TimerFired:
                    Assert.Equal(EventType.TimerStarted, TypeOf(e.TimerFiredEventAttributes.StartedEventId));
                    break;
                case EventType.WorkflowExecutionCompleted:
                    Assert.Equal(EventType.WorkflowTaskCompleted, TypeOf(e.WorkflowExecutionCompletedEventAttributes.WorkflowTaskCompletedEventId));
                    break;
                case EventType.ChildWorkflowExecutionStarted:
                    Assert.Equal(EventType.StartChildWorkflowExecutionInitiated, TypeOf(e.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId));
                    break;
                case EventType.ChildWorkflowExecutionCompleted:
                    Assert.Equal(EventType.StartChildWorkflowExecutionInitiated, TypeOf(e.ChildWorkflowExecutionCompletedEventAttributes.InitiatedEventId));
                    Assert.Equal(EventType.ChildWorkflowExecutionStarted, TypeOf(e.ChildWorkflowExecutionCompletedEventAttributes.StartedEventId));
                    break;
                default:
                    break;
            }
        }
    }
}
