using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>When several rules are due at once, the first in the spec's order wins (A11 → A15, then the reminder).</summary>
public class PriorityTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-04T10:30:00Z");
    private static readonly DateTimeOffset Late = T0.AddDays(400);

    private static readonly TemplateSchedulePolicy Everything = Template() with
    {
        FailureTtl = TimeSpan.FromMinutes(1),
        TimeTilDormant = TimeSpan.FromMinutes(1),
        TimeTilDormantAutodelete = TimeSpan.FromMinutes(1),
        TimeTilAutostopNotify = TimeSpan.FromDays(1000),
    };

    private static readonly Dictionary<string, (WorkspaceFacts Facts, LifecycleRule Winner, BuildTransition? Transition, BuildReason? Reason)> Cases = new()
    {
        ["autostop beats dormancy and the reminder"] = (
            Running(T0, T0.AddHours(1), Everything), LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.Autostop),
        ["suspended owner's stop beats dormancy"] = (
            Running(T0, null, Everything) with { OwnerStatus = OwnerStatus.Suspended }, LifecycleRule.Autostop, BuildTransition.Stop, BuildReason.Autostop),
        ["autostart beats dormancy"] = (
            Stopped(T0, Hourly, Everything), LifecycleRule.Autostart, BuildTransition.Start, BuildReason.Autostart),
        ["failed stop beats dormancy"] = (
            Running(T0, null, Everything).Failed(), LifecycleRule.FailedStop, BuildTransition.Stop, BuildReason.Autostop),
        ["failed stop beats auto-delete"] = (
            Running(T0, null, Everything).Failed().Dormant(T0, T0.AddMinutes(1)), LifecycleRule.FailedStop, BuildTransition.Stop, BuildReason.Autostop),
        ["dormancy of a running workspace stops it"] = (
            Running(T0, null, Everything), LifecycleRule.Dormancy, BuildTransition.Stop, BuildReason.Dormancy),
        ["dormant and past deleting_at: auto-delete"] = (
            Stopped(T0, Hourly, Everything).Dormant(T0, T0.AddMinutes(1)), LifecycleRule.AutoDelete, BuildTransition.Delete, BuildReason.Autodelete),
        ["only the reminder: reminder"] = (
            Running(T0, Late.AddMinutes(1), Everything with { TimeTilDormant = TimeSpan.Zero }).WithWorkspace(w => w with { LastUsedAt = T0 }),
            LifecycleRule.AutostopReminder, null, null),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void First_match_wins(string name)
    {
        var (facts, winner, transition, reason) = Cases[name];
        var d = WorkspaceLifecycle.Decide(facts, Late);
        Assert.Equal(winner, d.Rule);
        Assert.Equal(transition, d.Transition);
        Assert.Equal(reason, d.Reason);
        Assert.Equal(winner == LifecycleRule.Dormancy, d.MarkDormant);
        Assert.Equal(winner == LifecycleRule.AutostopReminder, d.RemindAutostop);
    }

    [Fact]
    public void Next_start_at_is_stored_alongside_whatever_else_is_decided()
    {
        var facts = Running(T0, T0.AddHours(1)).WithWorkspace(w => w with { AutostartSchedule = Hourly, NextStartAt = null });
        var d = WorkspaceLifecycle.Decide(facts, T0.AddHours(2));
        Assert.Equal(LifecycleRule.Autostop, d.Rule);
        Assert.Equal(T0.AddHours(2).AddMinutes(30), d.NextStartAt);
    }
}
