using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>
/// Spec A21 / scenario 34 (TestExecutorTaskWorkspace): the rules' stop of a workspace linked to an AI task is recorded
/// as task_auto_pause; nothing else about the rules changes, and an ordinary workspace is untouched.
/// </summary>
public class TaskWorkspaceTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-04T10:30:00Z");
    private static readonly DateTimeOffset Deadline = T0.AddHours(8);
    private static readonly WorkspaceTask Task = new(Guid.Parse("6b1f4c2e-0d7a-4f1e-9a51-3c2b8e9d0f11"), "fix-flaky-test");

    public static TheoryData<string> Cases => [.. Table.Keys];

    private static readonly Dictionary<string, (WorkspaceFacts Facts, DateTimeOffset Now, LifecycleRule Rule, BuildTransition? Transition, BuildReason? Reason)> Table =
        new(StringComparer.Ordinal)
        {
            ["S34 task workspace, 8 h TTL, deadline + 1 min: paused"] =
                (Running(T0, Deadline) with { Task = Task }, Deadline.AddMinutes(1), LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.TaskAutoPause),
            ["task workspace at the deadline: paused"] =
                (Running(T0, Deadline) with { Task = Task }, Deadline, LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.TaskAutoPause),
            ["task workspace one second before the deadline: nothing"] =
                (Running(T0, Deadline) with { Task = Task }, Deadline.AddSeconds(-1), LifecycleRule.None, null, null),
            ["ordinary workspace at the deadline: autostop as before"] =
                (Running(T0, Deadline), Deadline, LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.Autostop),
            ["task workspace of a suspended owner: paused at once"] =
                (Running(T0, Deadline) with { Task = Task, OwnerStatus = OwnerStatus.Suspended }, T0, LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.TaskAutoPause),
            ["task workspace, failed stop retried after the failure TTL: paused (Coder's newest)"] =
                (Stopped(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) }) with { Task = Task }, T0.AddMinutes(2), LifecycleRule.FailedStop, BuildTransition.Stop, BuildReason.TaskAutoPause),
            ["ordinary workspace, failed stop retried: autostop as before"] =
                (Stopped(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) }), T0.AddMinutes(2), LifecycleRule.FailedStop, BuildTransition.Stop, BuildReason.Autostop),
            ["task workspace past the dormancy threshold: a dormancy stop, not a pause"] =
                (Running(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromMinutes(1) }) with { Task = Task }, T0.AddMinutes(2), LifecycleRule.Dormancy, BuildTransition.Stop, BuildReason.Dormancy),
            ["task workspace stopped, autostart due: autostart as before"] =
                (Stopped(T0, Hourly) with { Task = Task }, At("2024-03-04T11:00:00Z"), LifecycleRule.Autostart, BuildTransition.Start, BuildReason.Autostart),
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_rules_stop_of_a_task_workspace_is_a_task_auto_pause(string name)
    {
        var (facts, now, rule, transition, reason) = Table[name];
        var d = WorkspaceLifecycle.Decide(facts, now);
        Assert.Equal(rule, d.Rule);
        Assert.Equal(transition, d.Transition);
        Assert.Equal(reason, d.Reason);
    }

    [Fact]
    public void A_task_link_does_not_move_when_the_rules_look_again()
    {
        var ordinary = Running(T0, Deadline);
        var task = ordinary with { Task = Task };
        Assert.Equal(Deadline, WorkspaceLifecycle.NextDueAt(task, T0));
        Assert.Equal(WorkspaceLifecycle.NextDueAt(ordinary, T0), WorkspaceLifecycle.NextDueAt(task, T0));
        Assert.Equal(WorkspaceLifecycle.Decide(ordinary, Deadline) with { Reason = BuildReason.TaskAutoPause }, WorkspaceLifecycle.Decide(task, Deadline));
    }

    [Fact]
    public void Task_paused_names_the_task_its_workspace_and_the_idle_timeout()
    {
        var labels = LifecycleNotices.TaskPaused(Task, "ws-task");
        Assert.Equal(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["task"] = "fix-flaky-test",
                ["task_id"] = "6b1f4c2e-0d7a-4f1e-9a51-3c2b8e9d0f11",
                ["workspace"] = "ws-task",
                ["pause_reason"] = "idle timeout",
            },
            labels);
    }
}
