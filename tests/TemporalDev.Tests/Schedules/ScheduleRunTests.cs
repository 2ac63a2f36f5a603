using System.Diagnostics;
using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Common;
using Xunit;

namespace TemporalDev.Tests.Schedules;

/// <summary>Schedules taking actions on the virtual clock: counts, ids, search attributes, overlap, limits, pause, trigger, backfill.</summary>
[Collection(SchedulesCollection.Name)]
public sealed class ScheduleRunTests(TemporalFixture temporal)
{
    private static readonly SearchAttributeKey<DateTimeOffset> ScheduledStartTime = SearchAttributeKey.CreateDateTimeOffset("TemporalScheduledStartTime");
    private static readonly SearchAttributeKey<string> ScheduledById = SearchAttributeKey.CreateKeyword("TemporalScheduledById");

    private static ScheduleSpec Every(TimeSpan interval) => new() { Intervals = [new ScheduleIntervalSpec(interval)] };

    /// <summary>A spec that does not come due during a test, for schedules driven by trigger and backfill.</summary>
    private static ScheduleSpec Never() => new() { Intervals = [new ScheduleIntervalSpec(TimeSpan.FromDays(3650))], StartAt = new DateTime(2090, 1, 1, 0, 0, 0, DateTimeKind.Utc) };

    [Fact]
    public async Task Thirty_five_virtual_minutes_of_a_ten_minute_schedule_are_three_or_four_actions_in_little_wall_time()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Thirty_five_virtual_minutes_of_a_ten_minute_schedule_are_three_or_four_actions_in_little_wall_time));
        var handle = await scope.CreateAsync(Every(TimeSpan.FromMinutes(10)));
        var before = await temporal.Env.GetCurrentTimeAsync();
        var wall = Stopwatch.StartNew();

        await temporal.Env.DelayAsync(TimeSpan.FromMinutes(35));

        wall.Stop();
        var described = await scope.EventuallyAsync(d => d.Info.RunningActions.Count == 0, "every action closed");
        Assert.InRange(described.Info.NumActions, 3, 4);
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(10), $"35 virtual minutes took {wall.Elapsed} of wall time");
        Assert.Equal(0, described.Info.NumActionsSkippedOverlap);
        Assert.Equal(described.Info.NumActions, described.Info.RecentActions.Count);
        foreach (var action in described.Info.RecentActions)
        {
            // Nominal times are whole ten minutes after the epoch and inside the delay.
            Assert.Equal(0, action.ScheduledAt.Minute % 10);
            Assert.Equal(0, action.ScheduledAt.Second);
            Assert.InRange(action.ScheduledAt, before, before.AddMinutes(36));
            var started = Assert.IsType<ScheduleActionExecutionStartWorkflow>(action.Action);
            Assert.Equal($"{scope.WorkflowId}-{action.ScheduledAt:yyyy-MM-dd'T'HH:mm:ss'Z'}", started.WorkflowId);
            var run = await temporal.Client.GetWorkflowHandle<ScheduledWorkflow>(started.WorkflowId).DescribeAsync();
            Assert.Equal(WorkflowExecutionStatus.Completed, run.Status);
            Assert.Equal(scope.Id, run.TypedSearchAttributes.Get(ScheduledById));
            Assert.Equal(new DateTimeOffset(action.ScheduledAt), run.TypedSearchAttributes.Get(ScheduledStartTime));
        }

        Assert.All(described.Info.NextActionTimes, t => Assert.True(t > before.AddMinutes(35)));
    }

    [Fact]
    public async Task Action_memo_and_search_attributes_pass_through_to_the_started_workflow()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Action_memo_and_search_attributes_pass_through_to_the_started_workflow));
        var action = ScheduleActionStartWorkflow.Create(
            (ScheduledWorkflow w) => w.RunAsync(ActionBehaviour.Complete),
            new WorkflowOptions(scope.WorkflowId, scope.TaskQueue) { Memo = new Dictionary<string, object> { ["owner"] = "team-a" } });
        await temporal.Client.CreateScheduleAsync(scope.Id, new Schedule(action, Never()), new ScheduleOptions { TriggerImmediately = true });

        var described = await scope.EventuallyAsync(d => d.Info.NumActions == 1, "the immediate action");

        var started = Assert.IsType<ScheduleActionExecutionStartWorkflow>(Assert.Single(described.Info.RecentActions).Action);
        var run = await temporal.Client.GetWorkflowHandle(started.WorkflowId).DescribeAsync();
        Assert.Equal("team-a", await run.Memo["owner"].ToValueAsync<string>());
        Assert.Equal(scope.Id, run.TypedSearchAttributes.Get(ScheduledById));
    }

    public static TheoryData<ScheduleOverlapPolicy, int, int, int> OverlapCases() => new()
    {
        // policy, actions after three triggers while the first runs, skipped, actions once the first one closes
        { ScheduleOverlapPolicy.Skip, 1, 2, 1 },
        { ScheduleOverlapPolicy.BufferOne, 1, 1, 2 },
        { ScheduleOverlapPolicy.BufferAll, 1, 0, 2 },
        { ScheduleOverlapPolicy.AllowAll, 3, 0, 3 },
    };

    [Theory]
    [MemberData(nameof(OverlapCases))]
    public async Task Overlap_policy_applies_to_triggers_while_an_action_runs(ScheduleOverlapPolicy policy, int actions, int skipped, int afterClose)
    {
        await using var scope = ScheduleScope.Start(temporal, $"Overlap{policy}");
        var handle = await scope.CreateAsync(Never(), ActionBehaviour.WaitForFinish, new SchedulePolicy { Overlap = policy });
        await TriggerThriceAsync(handle);

        var described = await scope.EventuallyAsync(d => d.Info.NumActions == actions, $"{actions} actions");
        Assert.Equal(skipped, described.Info.NumActionsSkippedOverlap);
        Assert.Equal(policy == ScheduleOverlapPolicy.AllowAll ? 0 : 1, described.Info.RunningActions.Count);

        var first = (ScheduleActionExecutionStartWorkflow)described.Info.RecentActions.First().Action;
        await temporal.Client.GetWorkflowHandle<ScheduledWorkflow>(first.WorkflowId).SignalAsync(w => w.FinishAsync());

        described = await scope.EventuallyAsync(d => d.Info.NumActions == afterClose && (afterClose == actions || d.Info.RunningActions.Count == 1), $"{afterClose} actions after the first closed");
        Assert.Equal(skipped, described.Info.NumActionsSkippedOverlap);
    }

    [Theory]
    [InlineData(ScheduleOverlapPolicy.CancelOther, WorkflowExecutionStatus.Canceled)]
    [InlineData(ScheduleOverlapPolicy.TerminateOther, WorkflowExecutionStatus.Terminated)]
    public async Task Cancel_or_terminate_other_stops_the_running_action_and_starts_the_new_one(ScheduleOverlapPolicy policy, WorkflowExecutionStatus firstEnds)
    {
        await using var scope = ScheduleScope.Start(temporal, $"Overlap{policy}");
        var handle = await scope.CreateAsync(Never(), ActionBehaviour.WaitForFinish, new SchedulePolicy { Overlap = policy });
        await handle.TriggerAsync();
        var first = await scope.EventuallyAsync(d => d.Info.RunningActions.Count == 1, "the first action running");
        await temporal.Env.DelayAsync(TimeSpan.FromSeconds(1));

        await handle.TriggerAsync();

        var described = await scope.EventuallyAsync(d => d.Info.NumActions == 2 && d.Info.RunningActions.Count == 1, "the second action running");
        var firstId = first.Info.RunningActions.Cast<ScheduleActionExecutionStartWorkflow>().Single().WorkflowId;
        Assert.NotEqual(firstId, described.Info.RunningActions.Cast<ScheduleActionExecutionStartWorkflow>().Single().WorkflowId);
        var firstRun = await temporal.Client.GetWorkflowHandle(firstId).DescribeAsync();
        Assert.Equal(firstEnds, firstRun.Status);
    }

    [Fact]
    public async Task Trigger_starts_an_action_now_even_when_paused()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Trigger_starts_an_action_now_even_when_paused));
        var handle = await scope.CreateAsync(Never(), state: new ScheduleState { Paused = true, Note = "held" });
        var now = await temporal.Env.GetCurrentTimeAsync();

        await handle.TriggerAsync();

        var described = await scope.EventuallyAsync(d => d.Info.NumActions == 1, "the triggered action");
        var action = Assert.Single(described.Info.RecentActions);
        Assert.InRange(action.ScheduledAt, now.AddSeconds(-1), now.AddMinutes(1));
        Assert.StartsWith($"{scope.WorkflowId}-{action.ScheduledAt:yyyy-MM-dd'T'HH:mm}", ((ScheduleActionExecutionStartWorkflow)action.Action).WorkflowId, StringComparison.Ordinal);
        Assert.True(described.Schedule.State.Paused);
    }

    [Fact]
    public async Task Backfill_starts_every_time_in_the_range_including_its_start()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Backfill_starts_every_time_in_the_range_including_its_start));
        var handle = await scope.CreateAsync(Every(TimeSpan.FromHours(1)), state: new ScheduleState { Paused = true });
        var from = new DateTime(2026, 1, 5, 10, 0, 0, DateTimeKind.Utc);

        await handle.BackfillAsync([new ScheduleBackfill(from, from.AddHours(2), ScheduleOverlapPolicy.AllowAll)]);

        var described = await scope.EventuallyAsync(d => d.Info.NumActions == 3, "three backfilled actions");
        Assert.Equal(
            [$"{scope.WorkflowId}-2026-01-05T10:00:00Z", $"{scope.WorkflowId}-2026-01-05T11:00:00Z", $"{scope.WorkflowId}-2026-01-05T12:00:00Z"],
            described.Info.RecentActions.Select(a => ((ScheduleActionExecutionStartWorkflow)a.Action).WorkflowId));
        Assert.Equal(0, described.Info.NumActionsMissedCatchupWindow);
    }

    [Fact]
    public async Task Paused_schedule_takes_no_actions_until_unpaused()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Paused_schedule_takes_no_actions_until_unpaused));
        var handle = await scope.CreateAsync(Every(TimeSpan.FromMinutes(10)));

        await handle.PauseAsync("maintenance window");
        var paused = await handle.DescribeAsync();
        await temporal.Env.DelayAsync(TimeSpan.FromMinutes(25));
        var afterPause = await handle.DescribeAsync();
        await handle.UnpauseAsync("maintenance over");
        await temporal.Env.DelayAsync(TimeSpan.FromMinutes(25));
        var afterUnpause = await scope.EventuallyAsync(d => d.Info.RunningActions.Count == 0, "actions closed");

        Assert.True(paused.Schedule.State.Paused);
        Assert.Equal("maintenance window", paused.Schedule.State.Note);
        Assert.Equal(0, afterPause.Info.NumActions);
        Assert.False(afterUnpause.Schedule.State.Paused);
        Assert.Equal("maintenance over", afterUnpause.Schedule.State.Note);
        Assert.InRange(afterUnpause.Info.NumActions, 2, 3);
    }

    [Fact]
    public async Task Limited_actions_stop_when_none_remain()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Limited_actions_stop_when_none_remain));
        var handle = await scope.CreateAsync(Every(TimeSpan.FromMinutes(10)), state: new ScheduleState { LimitedActions = true, RemainingActions = 2 });

        await temporal.Env.DelayAsync(TimeSpan.FromMinutes(45));

        var described = await scope.EventuallyAsync(d => d.Info.RunningActions.Count == 0, "actions closed");
        Assert.Equal(2, described.Info.NumActions);
        Assert.Equal(0, described.Schedule.State.RemainingActions);
        Assert.Empty(described.Info.NextActionTimes);
    }

    [Fact]
    public async Task Failed_action_pauses_a_schedule_with_pause_on_failure()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Failed_action_pauses_a_schedule_with_pause_on_failure));
        var handle = await scope.CreateAsync(Never(), ActionBehaviour.Fail, new SchedulePolicy { PauseOnFailure = true });

        await handle.TriggerAsync();

        var described = await scope.EventuallyAsync(d => d.Schedule.State.Paused, "paused after the failure");
        var failed = ((ScheduleActionExecutionStartWorkflow)Assert.Single(described.Info.RecentActions).Action).WorkflowId;
        Assert.Equal($"paused due to workflow failure: {failed}: boom", described.Schedule.State.Note);
    }

    [Fact]
    public async Task Describe_reports_create_and_update_times_and_the_defaults()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Describe_reports_create_and_update_times_and_the_defaults));
        var now = await temporal.Env.GetCurrentTimeAsync();
        var handle = await scope.CreateAsync(Every(TimeSpan.FromMinutes(10)));
        var created = await handle.DescribeAsync();
        await handle.UpdateAsync(u => new ScheduleUpdate(u.Description.Schedule with { Spec = Every(TimeSpan.FromMinutes(20)) }));
        var updated = await handle.DescribeAsync();

        Assert.InRange(created.Info.CreatedAt, now.AddSeconds(-1), now.AddMinutes(1));
        Assert.Null(created.Info.LastUpdatedAt);
        Assert.NotNull(updated.Info.LastUpdatedAt);
        Assert.Equal(ScheduleOverlapPolicy.Skip, created.Schedule.Policy.Overlap);
        Assert.Equal(TimeSpan.FromDays(365), created.Schedule.Policy.CatchupWindow);
        Assert.Equal(10, created.Info.NextActionTimes.Count);
        Assert.All(updated.Info.NextActionTimes, t => Assert.Equal(0, t.Minute % 20));
        Assert.Equal(0, created.Info.NumActionsMissedCatchupWindow);
    }

    [Fact]
    public async Task Each_action_receives_the_previous_actions_result()
    {
        await using var scope = ScheduleScope.Start(temporal, nameof(Each_action_receives_the_previous_actions_result));
        var handle = await scope.CreateAsync(Never(), ActionBehaviour.ReportLast);
        var results = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            if (i > 0) await temporal.Env.DelayAsync(TimeSpan.FromSeconds(1));
            await handle.TriggerAsync();
            var described = await scope.EventuallyAsync(d => d.Info.NumActions == i + 1 && d.Info.RunningActions.Count == 0, $"action {i + 1} closed");
            var started = (ScheduleActionExecutionStartWorkflow)described.Info.RecentActions.Last().Action;
            results.Add(await temporal.Client.GetWorkflowHandle(started.WorkflowId).GetResultAsync<string>());
        }

        Assert.Equal("none", results[0]);
        Assert.Equal("after none", results[1]);
    }

    private async Task TriggerThriceAsync(ScheduleHandle handle)
    {
        for (var i = 0; i < 3; i++)
        {
            // One virtual second apart: the action's workflow id carries its time to the second.
            if (i > 0) await temporal.Env.DelayAsync(TimeSpan.FromSeconds(1));
            await handle.TriggerAsync();
        }
    }
}
