using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>The one durable timer: when the workflow must look again, and that nothing is due before then.</summary>
public class NextDueAtTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-04T10:30:00Z");
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static readonly Dictionary<string, (WorkspaceFacts Facts, DateTimeOffset Now, DateTimeOffset? Due)> Cases = new()
    {
        ["nothing configured: never"] = (Running(T0), T0, null),
        ["stopped without schedule: never"] = (Stopped(T0), T0, null),
        ["running: at the deadline"] = (Running(T0, T0.AddHours(8)), T0, T0.AddHours(8)),
        ["past the deadline: now"] = (Running(T0, T0.AddHours(8)), T0.AddHours(9), T0.AddHours(9)),
        ["suspended owner of a running workspace: now"] = (Running(T0, T0.AddHours(8)) with { OwnerStatus = OwnerStatus.Suspended }, T0, T0),
        ["stopped with a schedule: at the next allowed autostart"] = (Stopped(T0, "CRON_TZ=UTC 0 9 * * 1-5", Template() with { AutostartAllowedDays = Weekdays.Friday }), T0, At("2024-03-08T09:00:00Z")),
        ["schedule in a DST zone: at local 09:00 after the change"] = (Stopped(At("2024-03-30T12:00:00Z"), "CRON_TZ=Europe/Berlin 0 9 * * *"), At("2024-03-30T12:00:00Z"), At("2024-03-31T07:00:00Z")),
        ["suspended owner, stopped: autostart never"] = (Stopped(T0, Hourly) with { OwnerStatus = OwnerStatus.Suspended }, T0, null),
        ["schedule edited: missing next_start_at is due now"] = (Stopped(T0, Hourly).WithWorkspace(w => w with { NextStartAt = null }), T0.AddMinutes(5), T0.AddMinutes(5)),
        ["schedule never allowed: never"] = (Stopped(T0, "CRON_TZ=UTC 0 9 * * 6", Template() with { AutostartAllowedDays = Weekdays.MondayToFriday }), T0, null),
        ["dormancy: just after the threshold"] = (Stopped(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromDays(7) }), T0, T0.AddDays(7) + Ms),
        ["failed start: just after the failure TTL"] = (Running(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromHours(1) }), T0, T0.AddHours(1) + Ms),
        ["dormant: just after deleting_at"] = (Stopped(T0).Dormant(T0, T0.AddDays(30)).WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }), T0, T0.AddDays(30) + Ms),
        ["dormant without auto-delete: never"] = (Stopped(T0).Dormant(T0, null).WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }), T0, null),
        ["failed delete: 24 h after it finished"] = (
            Stopped(T0).Dormant(T0.AddDays(-40), T0.AddDays(-10))
                .WithBuild(b => b with { Transition = BuildTransition.Delete, Status = BuildStatus.Failed })
                .WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }),
            T0, T0.AddHours(24) + Ms),
        ["reminder: when the window opens"] = (Running(T0, T0.AddHours(8)).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) }), T0, T0.AddHours(8).AddMinutes(-30)),
        ["reminder for an active owner: when activity goes stale"] = (
            Running(T0, T0.AddHours(8)).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(1) }).WithWorkspace(w => w with { LastUsedAt = T0.AddHours(7).AddMinutes(20) }),
            T0.AddHours(7).AddMinutes(20), T0.AddHours(7).AddMinutes(35)),
        ["reminder for an active owner: when the max deadline starts trapping"] = (
            Running(T0, T0.AddHours(8)).WithBuild(b => b with { MaxDeadline = T0.AddHours(8).AddMinutes(10) })
                .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(1) }).WithWorkspace(w => w with { LastUsedAt = T0.AddHours(7).AddMinutes(5) }),
            T0.AddHours(7).AddMinutes(5), T0.AddHours(7).AddMinutes(10)),
        ["reminder already sent: at the deadline"] = (
            Running(T0, T0.AddHours(8)).WithBuild(b => b with { NotifiedAutostopDeadline = T0.AddHours(8) }).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) }),
            T0.AddHours(7).AddMinutes(45), T0.AddHours(8)),
        ["earliest of several: dormancy before the deadline"] = (
            Running(T0, T0.AddHours(8)).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromHours(1) }), T0, T0.AddHours(1) + Ms),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Next_due_time(string name)
    {
        var (facts, now, due) = Cases[name];
        Assert.Equal(due, WorkspaceLifecycle.NextDueAt(facts, now));
    }

    /// <summary>At the planned instant something acts, and one millisecond earlier (if still in the future) nothing does.</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Plan_is_consistent_with_decide(string name)
    {
        var (facts, now, _) = Cases[name];
        var due = WorkspaceLifecycle.NextDueAt(facts, now);
        if (due is null)
        {
            foreach (var later in new[] { now, now.AddHours(1), now.AddDays(1), now.AddDays(40), now.AddYears(2) })
                Assert.False(WorkspaceLifecycle.Decide(facts, later).Acts);
            return;
        }

        Assert.True(due >= now);
        Assert.True(WorkspaceLifecycle.Decide(facts, due.Value).Acts);
        if (due > now)
        {
            Assert.False(WorkspaceLifecycle.Decide(facts, now).Acts);
            Assert.False(WorkspaceLifecycle.Decide(facts, due.Value - Ms).Acts);
        }
    }

    [Fact]
    public void Following_the_plan_walks_a_workspace_through_its_whole_life()
    {
        // Stopped with a weekday 09:00 schedule, TTL 8 h, dormancy after 3 days unused, deletion 7 days later.
        const string schedule = "CRON_TZ=UTC 0 9 * * 1-5";
        var template = Template() with { TimeTilDormant = TimeSpan.FromDays(3), TimeTilDormantAutodelete = TimeSpan.FromDays(7) };
        var now = At("2024-01-05T18:00:00Z"); // Friday
        var facts = Stopped(now, schedule, template).WithWorkspace(w => w with { Ttl = TimeSpan.FromHours(8) });
        var log = new List<string>();

        for (var step = 0; step < 10 && WorkspaceLifecycle.NextDueAt(facts, now) is { } due; step++)
        {
            now = due;
            var d = WorkspaceLifecycle.Decide(facts, now);
            log.Add($"{now:ddd MM-dd HH:mm:ss.fff} {d.Rule}");
            facts = Apply(facts, d, now);
        }

        // Monday's autostart and its 8 h autostop; builds are not use, so 3 days after Friday's last use it is
        // marked dormant (just after the strict threshold), never autostarts again, and is deleted 7 days later.
        Assert.Equal(
            [
                "Mon 01-08 09:00:00.000 Autostart",
                "Mon 01-08 17:00:00.000 Autostop",
                "Mon 01-08 18:00:00.001 Dormancy",
                "Mon 01-15 18:00:00.002 AutoDelete",
            ],
            log);
        Assert.True(facts.IsDeleted);
    }

    private static WorkspaceFacts Apply(WorkspaceFacts f, WorkspaceDecision d, DateTimeOffset now)
    {
        if (d.NextStartAt is { } next)
            f = f.WithWorkspace(w => w with { NextStartAt = next });
        if (d.MarkDormant)
        {
            var (dormantAt, deletingAt) = Dormancy.Mark(now, f.Template);
            f = f.WithWorkspace(w => w with { DormantAt = dormantAt, DeletingAt = deletingAt });
        }

        if (d.Transition is not { } transition)
            return f;
        if (transition == BuildTransition.Delete)
            return f with { IsDeleted = true };

        // The build completes at once: deadline and next_start_at as at completion.
        var times = AutostopCalculation.AtCompletion(transition, now, f.Workspace, f.Template, quietHoursSchedule: null);
        var build = new LatestBuild
        {
            Transition = transition,
            Status = BuildStatus.Succeeded,
            Reason = d.Reason ?? BuildReason.Initiator,
            CreatedAt = now,
            CompletedAt = now,
            Deadline = times.Deadline,
            MaxDeadline = times.MaxDeadline,
        };
        var rebuilt = f with { LatestBuild = build };
        return rebuilt.WithWorkspace(w => w with { NextStartAt = Autostart.NextStartAt(now, w.AutostartSchedule, f.Template) });
    }
}
