using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Schedules.Runtime;
using Xunit;
using static TemporalDev.UnitTests.Schedules.SpecBuilder;

namespace TemporalDev.UnitTests.Schedules;

/// <summary>The scheduler's turn-by-turn behaviour against a scripted host: catch-up, overlap, limits, pause on failure.</summary>
public class ScheduleMachineTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 11, 23, 10);

    [Fact]
    public void Times_older_than_the_catchup_window_are_missed_and_the_rest_overlap()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), policies: new SchedulePolicies { CatchupWindow = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) });

        // The server was away for an hour: 60 times elapsed.
        host.Now = T0.AddHours(1);
        machine.Wake();

        // 10:01..10:49 are more than 10 minutes old; 10:50..11:00 are buffered, the first starts, Skip drops the other ten.
        Assert.Equal(49, machine.State.Info.MissedCatchupWindow);
        Assert.Equal(1, machine.State.Info.ActionCount);
        Assert.Equal(10, machine.State.Info.OverlapSkipped);
        Assert.Equal("wf-2026-11-23T10:50:00Z", Assert.Single(host.Started).WorkflowId);
    }

    [Fact]
    public void Catchup_window_below_ten_seconds_is_raised_to_ten_seconds()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), policies: new SchedulePolicies { CatchupWindow = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) });

        Assert.Equal(TimeSpan.FromSeconds(10), machine.State.Schedule.Policies.CatchupWindow.ToTimeSpan());
        host.Now = T0.AddMinutes(1).AddSeconds(10);
        machine.Wake();
        Assert.Equal(1, machine.State.Info.ActionCount);
    }

    public static TheoryData<string, ScheduleOverlapPolicy, int, int, int, string[], string[]> OverlapCases() => new()
    {
        // name, policy, actions, skipped, still buffered, canceled, terminated (asked again on every later time, as the real server does)
        { "skip drops overlapping times", ScheduleOverlapPolicy.Skip, 1, 2, 0, [], [] },
        { "buffer one keeps one", ScheduleOverlapPolicy.BufferOne, 1, 1, 1, [], [] },
        { "buffer all keeps all", ScheduleOverlapPolicy.BufferAll, 1, 0, 2, [], [] },
        { "cancel other cancels the running one", ScheduleOverlapPolicy.CancelOther, 1, 0, 2, ["wf-2026-11-23T10:01:00Z", "wf-2026-11-23T10:01:00Z"], [] },
        { "terminate other terminates the running one", ScheduleOverlapPolicy.TerminateOther, 1, 0, 2, [], ["wf-2026-11-23T10:01:00Z", "wf-2026-11-23T10:01:00Z"] },
        { "allow all starts every time", ScheduleOverlapPolicy.AllowAll, 3, 0, 0, [], [] },
    };

    [Theory]
    [MemberData(nameof(OverlapCases))]
    public void Overlap_policy_decides_what_happens_to_times_while_an_action_runs(
        string name, ScheduleOverlapPolicy policy, int actions, int skipped, int buffered, string[] canceled, string[] terminated)
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), policies: new SchedulePolicies { OverlapPolicy = policy });
        for (var minute = 1; minute <= 3; minute++)
        {
            host.Now = T0.AddMinutes(minute);
            machine.Wake();
        }

        Assert.True(actions == machine.State.Info.ActionCount, name);
        Assert.Equal(skipped, machine.State.Info.OverlapSkipped);
        Assert.Equal(buffered, machine.State.BufferedStarts.Count);
        Assert.Equal(canceled, host.Canceled);
        Assert.Equal(terminated, host.Terminated);
    }

    [Fact]
    public void Buffered_start_runs_when_the_running_action_closes()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), policies: new SchedulePolicies { OverlapPolicy = ScheduleOverlapPolicy.BufferAll });
        host.Now = T0.AddMinutes(2);
        machine.Wake();
        Assert.Single(host.Started);

        host.Close("wf-2026-11-23T10:01:00Z", WorkflowExecutionStatus.Completed);
        machine.State.NeedRefresh = true;
        machine.Wake();

        Assert.Equal(["wf-2026-11-23T10:01:00Z", "wf-2026-11-23T10:02:00Z"], host.Started.Select(s => s.WorkflowId));
        Assert.Equal("wf-2026-11-23T10:02:00Z", Assert.Single(machine.State.Info.RunningWorkflows).WorkflowId);
        Assert.Equal(WorkflowExecutionStatus.Completed, machine.State.Info.RecentActions[0].StartWorkflowStatus);
    }

    [Fact]
    public void Limited_actions_stop_after_the_remaining_count()
    {
        var host = new ScriptedHost { Now = T0, CloseImmediately = true };
        var state = new Temporalio.Api.Schedule.V1.ScheduleState { LimitedActions = true, RemainingActions = 2 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), state: state);
        DateTimeOffset? next = null;
        for (var minute = 1; minute <= 4; minute++)
        {
            host.Now = T0.AddMinutes(minute);
            machine.State.NeedRefresh = true;
            next = machine.Wake();
        }

        Assert.Equal(2, machine.State.Info.ActionCount);
        Assert.Equal(0, machine.State.Schedule.State.RemainingActions);
        Assert.Null(next);
        Assert.Empty(machine.Describe().Info.FutureActionTimes);
    }

    [Fact]
    public void Failed_action_pauses_a_schedule_with_pause_on_failure()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)), policies: new SchedulePolicies { PauseOnFailure = true });
        host.Now = T0.AddMinutes(1);
        machine.Wake();
        var token = machine.State.ConflictToken;

        host.Close("wf-2026-11-23T10:01:00Z", WorkflowExecutionStatus.Failed, new Temporalio.Api.Failure.V1.Failure { Message = "boom" });
        machine.State.NeedRefresh = true;
        host.Now = T0.AddMinutes(1).AddSeconds(5);
        var next = machine.Wake();

        Assert.True(machine.State.Schedule.State.Paused);
        Assert.Equal("paused due to workflow failure: wf-2026-11-23T10:01:00Z: boom", machine.State.Schedule.State.Notes);
        Assert.Equal(token + 1, machine.State.ConflictToken);
        Assert.Null(next);
        Assert.Equal("boom", machine.State.ContinuedFailure?.Message);
    }

    [Fact]
    public void Update_with_a_stale_token_is_refused_and_a_current_one_is_applied()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(1)));
        Assert.Throws<ScheduleConflictException>(() => machine.CheckConflict(7));

        var schedule = machine.State.Schedule.Clone();
        schedule.Spec = Every(TimeSpan.FromMinutes(5));
        machine.CheckConflict(1);
        machine.Wake(update: new FullUpdate(schedule, 1, null));

        Assert.Equal(2, machine.State.ConflictToken);
        Assert.Equal(TimeSpan.FromMinutes(5), machine.State.Schedule.Spec.Interval[0].Interval.ToTimeSpan());
        Assert.Equal(Utc(2026, 11, 23, 10, 5), machine.Describe().Info.FutureActionTimes[0].ToDateTimeOffset());
    }

    [Fact]
    public void Backfill_is_inclusive_of_its_start_and_ignores_the_catchup_window()
    {
        var host = new ScriptedHost { Now = T0, CloseImmediately = true };
        var machine = Create(host, Every(TimeSpan.FromHours(1)), policies: new SchedulePolicies { OverlapPolicy = ScheduleOverlapPolicy.AllowAll });
        var patch = new SchedulePatch();
        patch.BackfillRequest.Add(new BackfillRequest
        {
            StartTime = Timestamp.FromDateTimeOffset(T0.AddDays(-30)),
            EndTime = Timestamp.FromDateTimeOffset(T0.AddDays(-30).AddHours(2)),
            OverlapPolicy = ScheduleOverlapPolicy.AllowAll,
        });

        machine.Wake(patch);

        Assert.Equal(["wf-2026-10-24T10:00:00Z", "wf-2026-10-24T11:00:00Z", "wf-2026-10-24T12:00:00Z"], host.Started.Select(s => s.WorkflowId));
        Assert.All(host.Started, s => Assert.Equal(WorkflowIdReusePolicy.AllowDuplicate, s.WorkflowIdReusePolicy));
        Assert.Equal(0, machine.State.Info.MissedCatchupWindow);
    }

    [Fact]
    public void Scheduled_start_carries_the_schedule_search_attributes_and_the_actions_own()
    {
        var host = new ScriptedHost { Now = T0 };
        var machine = Create(host, Every(TimeSpan.FromMinutes(10)));
        machine.State.Schedule.Action.StartWorkflow.SearchAttributes = new SearchAttributes
        {
            IndexedFields = { ["Custom"] = ScheduleSearchAttributes.Encode("\"x\"", "Keyword") },
        };
        host.Now = T0.AddMinutes(10);
        machine.Wake();

        var start = Assert.Single(host.Started);
        Assert.Equal("\"2026-11-23T10:10:00Z\"", start.SearchAttributes.IndexedFields["TemporalScheduledStartTime"].Data.ToStringUtf8());
        Assert.Equal("\"sched\"", start.SearchAttributes.IndexedFields["TemporalScheduledById"].Data.ToStringUtf8());
        Assert.True(start.SearchAttributes.IndexedFields.ContainsKey("Custom"));
        Assert.Equal(WorkflowIdReusePolicy.RejectDuplicate, start.WorkflowIdReusePolicy);
        Assert.Equal("temporal-scheduler-default-sched", start.Identity);
    }

    private static ScheduleMachine Create(
        ScriptedHost host, ScheduleSpec spec, SchedulePolicies? policies = null, Temporalio.Api.Schedule.V1.ScheduleState? state = null)
    {
        var schedule = new Schedule
        {
            Spec = TemporalDev.Schedules.Spec.CompiledScheduleSpec.Compile(spec).Canonical,
            Action = new ScheduleAction
            {
                StartWorkflow = new NewWorkflowExecutionInfo
                {
                    WorkflowId = "wf",
                    WorkflowType = new WorkflowType { Name = "W" },
                    TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = "q" },
                },
            },
            Policies = policies,
            State = state,
        };
        return ScheduleMachine.Create(host, "default", "ns-id", "sched", schedule, null, null);
    }

    /// <summary>A host whose actions run until the test closes them (or close at once).</summary>
    private sealed class ScriptedHost : IScheduleHost
    {
        private readonly Dictionary<string, ActionStatus> status = new(StringComparer.Ordinal);

        public DateTimeOffset Now { get; set; }

        public bool CloseImmediately { get; init; }

        public List<StartWorkflowExecutionRequest> Started { get; } = [];

        public List<string> Canceled { get; } = [];

        public List<string> Terminated { get; } = [];

        public StartOutcome StartWorkflow(StartWorkflowExecutionRequest request)
        {
            Started.Add(request);
            status[request.WorkflowId] = new ActionStatus(CloseImmediately ? WorkflowExecutionStatus.Completed : WorkflowExecutionStatus.Running);
            return new StartOutcome("run-" + request.WorkflowId, null);
        }

        public void CancelWorkflow(WorkflowExecution execution, string reason, string identity) => Canceled.Add(execution.WorkflowId);

        public void TerminateWorkflow(WorkflowExecution execution, string reason, string identity) => Terminated.Add(execution.WorkflowId);

        public ActionStatus Watch(WorkflowExecution execution) =>
            status.TryGetValue(execution.WorkflowId, out var s) ? s : new ActionStatus(WorkflowExecutionStatus.Unspecified);

        public void Close(string workflowId, WorkflowExecutionStatus closed, Temporalio.Api.Failure.V1.Failure? failure = null) =>
            status[workflowId] = new ActionStatus(closed, Failure: failure);
    }
}
