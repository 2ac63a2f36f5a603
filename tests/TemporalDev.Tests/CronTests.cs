using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Cron workflows: the first run waits for the cron time, each completion starts the next run.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class CronTests(TemporalFixture temporal)
{
    [Fact]
    public async Task First_run_waits_for_the_cron_time_and_completion_starts_the_next_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var first = await RemainderWorker.RunAsync(temporal, queue, async () =>
        {
            var handle = await temporal.Client.StartWorkflowAsync((CronTickWorkflow w) => w.RunAsync(), new(id, queue) { CronSchedule = "0 * * * *" });

            // GetResult of a cron run must not follow the chain: the next run waits for the next hour and never ends.
            await handle.GetResultAsync(followRuns: false);
            return temporal.Client.GetWorkflowHandle(id, handle.ResultRunId);
        });

        var started = (await first.DescribeAsync()).StartTime;
        var nextHour = new DateTime(started.Year, started.Month, started.Day, started.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
        var firstTask = (await first.FetchHistoryAsync()).Events.First(e => e.EventType == EventType.WorkflowTaskScheduled).EventTime.ToDateTime();
        Assert.True(firstTask >= nextHour && firstTask < nextHour.AddMinutes(1), $"started {started:O}, first workflow task at {firstTask:O}, cron time {nextHour:O}");

        var firstHistory = await first.FetchHistoryAsync();
        var backoff = firstHistory.Events.First().WorkflowExecutionStartedEventAttributes.FirstWorkflowTaskBackoff.ToTimeSpan();
        Assert.InRange(backoff, nextHour - started - TimeSpan.FromSeconds(1), nextHour - started + TimeSpan.FromSeconds(1));
        var completed = firstHistory.Events.Last();
        Assert.Equal(EventType.WorkflowExecutionCompleted, completed.EventType);
        var nextRunId = completed.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId;
        Assert.False(string.IsNullOrEmpty(nextRunId));

        var next = temporal.Client.GetWorkflowHandle(id, nextRunId);
        var nextStart = (await next.FetchHistoryAsync()).Events.First().WorkflowExecutionStartedEventAttributes;
        Assert.Equal(ContinueAsNewInitiator.CronSchedule, nextStart.Initiator);
        Assert.Equal(first.RunId, nextStart.ContinuedExecutionRunId);
        Assert.Equal(first.RunId, nextStart.FirstExecutionRunId);
        Assert.InRange(nextStart.FirstWorkflowTaskBackoff.ToTimeSpan(), nextHour.AddHours(1) - completed.EventTime.ToDateTime() - TimeSpan.FromSeconds(1), nextHour.AddHours(1) - completed.EventTime.ToDateTime() + TimeSpan.FromSeconds(1));
        await temporal.Client.GetWorkflowHandle(id).TerminateAsync("test over");
    }

    [Fact]
    public async Task GetResult_following_runs_waits_on_the_next_cron_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var followed = await RemainderWorker.RunAsync(temporal, queue, async () =>
        {
            var handle = await temporal.Client.StartWorkflowAsync((CronTickWorkflow w) => w.RunAsync(), new(id, queue) { CronSchedule = "*/30 * * * *" });
            await handle.GetResultAsync(followRuns: false);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var waiting = temporal.Client.GetWorkflowHandle(id, handle.ResultRunId)
                .GetResultAsync(followRuns: true, new() { CancellationToken = patience.Token });
            var ended = await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
            return ended == waiting && waiting.IsCompletedSuccessfully;
        });

        // The chain never completes (each completion schedules the next run), so following it never yields a result.
        Assert.False(followed);
        await temporal.Client.GetWorkflowHandle(id).TerminateAsync("test over");
    }
}
