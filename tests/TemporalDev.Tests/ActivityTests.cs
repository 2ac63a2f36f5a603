using Lifecycle.Testing.Temporal;
using Temporalio.Client;
using Temporalio.Api.Enums.V1;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Activities: server-side retries, non-retryable failures, timeouts, heartbeats and cancellation.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class ActivityTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Retries_with_backoff_until_success_and_write_only_the_last_attempt()
    {
        var queue = temporal.NewTaskQueue();
        var activities = new TestActivities();
        var before = await temporal.Env.GetCurrentTimeAsync();
        var (attempt, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((ActivityRetryWorkflow w) => w.RunAsync(3), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        }, activities);

        Assert.Equal(3, attempt);
        Assert.Equal(3, activities.FlakyCalls);
        var after = await temporal.Env.GetCurrentTimeAsync();
        Assert.True(after - before >= TimeSpan.FromSeconds(90), $"backoff of 30 s + 60 s skipped only {after - before}");
        var (types, history) = await WorkerScope.HistoryAsync(handle);
        Assert.Single(types, EventType.ActivityTaskStarted);
        var started = history.Events.Single(e => e.EventType == EventType.ActivityTaskStarted);
        Assert.Equal(3, started.ActivityTaskStartedEventAttributes.Attempt);
        Assert.Equal("attempt 2 fails", started.ActivityTaskStartedEventAttributes.LastFailure.Message);
        WorkerScope.AssertReferences(history.Events);
    }

    [Fact]
    public async Task Non_retryable_failure_is_not_retried()
    {
        var queue = temporal.NewTaskQueue();
        var activities = new TestActivities();
        var e = await WorkerScope.RunAsync(temporal, queue, () => Assert.ThrowsAsync<WorkflowFailedException>(() =>
            temporal.Client.ExecuteWorkflowAsync((NonRetryableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue))), activities);

        var activityFailure = Assert.IsType<ActivityFailureException>(e.InnerException);
        Assert.Equal(RetryState.NonRetryableFailure, activityFailure.RetryState);
        Assert.Equal("Fatal", Assert.IsType<ApplicationFailureException>(activityFailure.InnerException).ErrorType);
        Assert.Equal(1, activities.FlakyCalls);
    }

    public static TheoryData<string, ActivityTimeoutCase, string> TimeoutCases => new()
    {
        { "start-to-close", new ActivityTimeoutCase(3000, false, 1, StartToClose: TimeSpan.FromMilliseconds(300)), "timeout:StartToClose" },
        { "heartbeat", new ActivityTimeoutCase(3000, false, 1, StartToClose: TimeSpan.FromSeconds(10), HeartbeatTimeout: TimeSpan.FromMilliseconds(300)), "timeout:Heartbeat" },
        { "schedule-to-close", new ActivityTimeoutCase(3000, true, 0, ScheduleToClose: TimeSpan.FromMilliseconds(600)), "timeout:ScheduleToClose" },
        { "schedule-to-start", new ActivityTimeoutCase(10, false, 0, StartToClose: TimeSpan.FromSeconds(5), ScheduleToStart: TimeSpan.FromSeconds(1), TaskQueue: "nobody-polls-this-queue"), "timeout:ScheduleToStart" },
        { "completes in time", new ActivityTimeoutCase(100, true, 1, StartToClose: TimeSpan.FromSeconds(5), HeartbeatTimeout: TimeSpan.FromSeconds(2)), "completed" },
    };

    [Theory]
    [MemberData(nameof(TimeoutCases))]
    public async Task Activity_timeouts_end_with_a_TimeoutFailure_of_their_kind(string name, ActivityTimeoutCase scenario, string expected)
    {
        Assert.False(string.IsNullOrEmpty(name));
        var queue = temporal.NewTaskQueue();
        var outcome = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((ActivityTimeoutWorkflow w) => w.RunAsync(scenario), new(temporal.NewWorkflowId(), queue)));

        Assert.Equal(expected, outcome);
    }

    [Fact]
    public async Task Heartbeat_details_reach_the_next_attempt()
    {
        var queue = temporal.NewTaskQueue();
        var result = await WorkerScope.RunAsync(temporal, queue, () =>
            temporal.Client.ExecuteWorkflowAsync((HeartbeatResumeWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue)));

        Assert.Equal(42, result);
    }

    [Fact]
    public async Task Cancelling_a_started_activity_reaches_it_through_its_heartbeat()
    {
        var queue = temporal.NewTaskQueue();
        var (result, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((ActivityCancelWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal("canceled", result);
        var (types, _) = await WorkerScope.HistoryAsync(handle);
        Assert.Contains(EventType.ActivityTaskCancelRequested, types);
        Assert.Contains(EventType.ActivityTaskCanceled, types);
    }

    [Fact]
    public async Task Local_activity_is_recorded_as_a_marker()
    {
        var queue = temporal.NewTaskQueue();
        var (result, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((LocalActivityWorkflow w) => w.RunAsync("local"), new(temporal.NewWorkflowId(), queue));
            return (await h.GetResultAsync(), h);
        });

        Assert.Equal("Hello, local!", result);
        var (types, _) = await WorkerScope.HistoryAsync(handle);
        Assert.Contains(EventType.MarkerRecorded, types);
    }
}
