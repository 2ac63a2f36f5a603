using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Each rule one second before, at, and one second after its time boundary.</summary>
public class EligibilityBoundaryTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-04T10:30:00Z");
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private sealed record BoundaryCase(WorkspaceFacts Facts, Func<WorkspaceFacts, DateTimeOffset, bool> Rule, DateTimeOffset Boundary, bool Before, bool AtBoundary, bool After);

    private static readonly Dictionary<string, BoundaryCase> Cases = new()
    {
        // Inclusive: due at the deadline itself.
        ["autostop at deadline (inclusive)"] = new(
            Running(T0, deadline: T0.AddHours(8)), WorkspaceEligibility.IsEligibleForAutostop, T0.AddHours(8), false, true, true),

        // Inclusive: due at the first allowed cron fire after the stop build was created.
        ["autostart at schedule (inclusive)"] = new(
            Stopped(T0, Hourly), WorkspaceEligibility.IsEligibleForAutostart, At("2024-03-04T11:00:00Z"), false, true, true),

        // Strict: more than failure TTL after the failed job completed.
        ["failed start stopped after failure TTL (strict)"] = new(
            Running(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) }),
            WorkspaceEligibility.IsEligibleForFailedStop, T0.AddMinutes(1), false, false, true),
        ["failed stop retried after failure TTL (strict)"] = new(
            Stopped(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) }),
            WorkspaceEligibility.IsEligibleForFailedStop, T0.AddMinutes(1), false, false, true),

        // Strict: unused for more than time-til-dormant.
        ["dormancy after time-til-dormant (strict)"] = new(
            Running(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromDays(7) }),
            WorkspaceEligibility.IsEligibleForDormancy, T0.AddDays(7), false, false, true),

        // Strict: after deleting_at.
        ["auto-delete after deleting_at (strict)"] = new(
            Stopped(T0).Dormant(T0, T0.AddDays(30)).WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }),
            WorkspaceEligibility.IsEligibleForAutoDelete, T0.AddDays(30), false, false, true),

        // Strict: a failed delete is retried only more than 24 h after it finished.
        ["failed delete retried after 24 h (strict)"] = new(
            Stopped(T0).Dormant(T0.AddDays(-40), T0.AddDays(-10))
                .WithBuild(b => b with { Transition = BuildTransition.Delete, Status = BuildStatus.Failed })
                .WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) }),
            WorkspaceEligibility.IsEligibleForAutoDelete, T0.AddHours(24), false, false, true),

        // Inclusive window start: deadline ≤ now + lead.
        ["reminder window opens at deadline − lead (inclusive)"] = new(
            Running(T0, deadline: T0.AddHours(8)).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) }),
            WorkspaceEligibility.ShouldRemindAutostop, T0.AddHours(8).AddMinutes(-30), false, true, true),

        // Exclusive window end: deadline > now.
        ["reminder window closes at the deadline (exclusive)"] = new(
            Running(T0, deadline: T0.AddHours(8)).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) }),
            WorkspaceEligibility.ShouldRemindAutostop, T0.AddHours(8), true, false, false),

        // An active owner (used less than 15 min ago) with bumps on is not reminded; 15 min exactly is idle.
        ["reminder once the owner is idle for 15 min (inclusive)"] = new(
            Running(T0, deadline: T0.AddHours(8))
                .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(1) })
                .WithWorkspace(w => w with { LastUsedAt = T0.AddHours(7).AddMinutes(10) }),
            WorkspaceEligibility.ShouldRemindAutostop, T0.AddHours(7).AddMinutes(25), false, true, true),

        // A max deadline within the window traps the stop: the active owner is reminded from max − lead on.
        ["reminder once the max deadline traps the stop (inclusive)"] = new(
            Running(T0, deadline: T0.AddHours(8))
                .WithBuild(b => b with { MaxDeadline = T0.AddHours(8).AddMinutes(20) })
                .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(1) })
                .WithWorkspace(w => w with { LastUsedAt = T0.AddHours(7).AddMinutes(15) }),
            WorkspaceEligibility.ShouldRemindAutostop, T0.AddHours(7).AddMinutes(20), false, true, true),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rule_at_its_time_boundary(string name)
    {
        var c = Cases[name];
        Assert.Equal(c.Before, c.Rule(c.Facts, c.Boundary - Second));
        Assert.Equal(c.AtBoundary, c.Rule(c.Facts, c.Boundary));
        Assert.Equal(c.After, c.Rule(c.Facts, c.Boundary + Second));
    }

    [Fact]
    public void Autostop_ignores_the_deadline_for_a_suspended_owner_even_at_the_epoch()
    {
        var facts = Running(T0, deadline: T0.AddHours(8)) with { OwnerStatus = OwnerStatus.Suspended };
        Assert.True(WorkspaceEligibility.IsEligibleForAutostop(facts, DateTimeOffset.UnixEpoch));
        Assert.True(WorkspaceEligibility.IsEligibleForAutostop(facts with { LatestBuild = facts.LatestBuild with { Deadline = null } }, T0));
    }

    [Fact]
    public void Autostop_needs_a_started_non_failed_non_dormant_workspace_with_a_deadline()
    {
        var due = T0.AddHours(9);
        var running = Running(T0, deadline: T0.AddHours(8));
        Assert.True(WorkspaceEligibility.IsEligibleForAutostop(running, due));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostop(running.WithBuild(b => b with { Status = BuildStatus.Failed }), due));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostop(running.Dormant(T0), due));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostop(running.WithBuild(b => b with { Transition = BuildTransition.Stop }), due));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostop(running.WithBuild(b => b with { Deadline = null }), due));
    }

    [Fact]
    public void Autostart_needs_an_active_owner_a_clean_stop_and_a_permitted_schedule()
    {
        var tick = At("2024-03-04T11:00:00Z");
        var stopped = Stopped(T0, Hourly);
        Assert.True(WorkspaceEligibility.IsEligibleForAutostart(stopped, tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped with { OwnerStatus = OwnerStatus.Suspended }, tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped with { OwnerStatus = OwnerStatus.Dormant }, tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.Failed(), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.Dormant(T0), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.WithBuild(b => b with { Transition = BuildTransition.Start }), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.WithTemplate(t => t with { AllowUserAutostart = false }), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.WithWorkspace(w => w with { AutostartSchedule = "" }), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.WithWorkspace(w => w with { AutostartSchedule = "61 * * * *" }), tick));
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(stopped.WithWorkspace(w => w with { NextStartAt = null }), tick));
    }

    [Fact]
    public void A_schedule_edited_after_the_stop_does_not_start_at_once()
    {
        // Stopped Mon 18:00 with a 09:00 schedule; on Tue 10:00 the owner moves it to 08:00. The first 08:00 after
        // the stop build (Tue 08:00) has passed, but next_start_at (recomputed at the change) is Wed 08:00.
        var stopped = Stopped(At("2024-01-01T18:00:00Z"), "CRON_TZ=UTC 0 9 * * *");
        var change = At("2024-01-02T10:00:00Z");
        var edited = stopped.WithWorkspace(w => w with
        {
            AutostartSchedule = "CRON_TZ=UTC 0 8 * * *",
            NextStartAt = Autostart.NextStartAt(change, "CRON_TZ=UTC 0 8 * * *", stopped.Template),
        });
        Assert.False(WorkspaceEligibility.IsEligibleForAutostart(edited, change));
        Assert.True(WorkspaceEligibility.IsEligibleForAutostart(edited, At("2024-01-03T08:00:00Z")));
    }

    [Fact]
    public void Rules_never_touch_unclaimed_prebuilds_deleted_workspaces_or_builds_in_flight()
    {
        var late = T0.AddYears(1);
        var all = Running(T0, deadline: T0.AddHours(1)).WithTemplate(t => t with
        {
            FailureTtl = TimeSpan.FromMinutes(1),
            TimeTilDormant = TimeSpan.FromMinutes(1),
            TimeTilDormantAutodelete = TimeSpan.FromMinutes(1),
            TimeTilAutostopNotify = TimeSpan.FromDays(1000),
        });
        Func<WorkspaceFacts, DateTimeOffset, bool>[] rules =
        [
            WorkspaceEligibility.IsEligibleForAutostop, WorkspaceEligibility.IsEligibleForAutostart, WorkspaceEligibility.IsEligibleForFailedStop,
            WorkspaceEligibility.IsEligibleForDormancy, WorkspaceEligibility.IsEligibleForAutoDelete, WorkspaceEligibility.ShouldRemindAutostop,
        ];
        WorkspaceFacts[] untouchable =
        [
            all with { IsPrebuild = true },
            all with { IsPrebuild = true, OwnerStatus = OwnerStatus.Suspended },
            all with { IsDeleted = true },
            all.WithBuild(b => b with { Status = BuildStatus.Pending }),
            all.WithBuild(b => b with { Status = BuildStatus.Running }),
            all.WithBuild(b => b with { Status = BuildStatus.Canceling }),
            Stopped(T0, Hourly) with { IsPrebuild = true },
        ];
        foreach (var facts in untouchable)
        {
            Assert.All(rules, rule => Assert.False(rule(facts, late)));
            Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, late));
            Assert.Null(WorkspaceLifecycle.NextDueAt(facts, late));
        }
    }

    [Fact]
    public void Failed_cleanup_needs_failure_ttl_a_failed_start_or_stop_and_a_completion_time()
    {
        var failed = Running(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) });
        var late = T0.AddHours(1);
        Assert.True(WorkspaceEligibility.IsEligibleForFailedStop(failed, late));
        Assert.False(WorkspaceEligibility.IsEligibleForFailedStop(failed.WithTemplate(t => t with { FailureTtl = TimeSpan.Zero }), late));
        Assert.False(WorkspaceEligibility.IsEligibleForFailedStop(failed.WithBuild(b => b with { Transition = BuildTransition.Delete }), late));
        Assert.False(WorkspaceEligibility.IsEligibleForFailedStop(failed.WithBuild(b => b with { CompletedAt = null }), late));
        Assert.False(WorkspaceEligibility.IsEligibleForFailedStop(failed.WithBuild(b => b with { Status = BuildStatus.Canceled }), late));
    }

    [Fact]
    public void Failed_delete_that_never_finished_is_not_retried()
    {
        var facts = Stopped(T0).Dormant(T0.AddDays(-40), T0.AddDays(-10))
            .WithBuild(b => b with { Transition = BuildTransition.Delete, Status = BuildStatus.Failed, CompletedAt = null, CanceledAt = null })
            .WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromDays(30) });
        Assert.False(WorkspaceEligibility.IsEligibleForAutoDelete(facts, T0.AddDays(10)));
        var canceled = facts.WithBuild(b => b with { CanceledAt = T0 });
        Assert.True(WorkspaceEligibility.IsEligibleForAutoDelete(canceled, T0.AddDays(1).AddSeconds(1)));
    }

    [Fact]
    public void Reminder_is_sent_once_per_deadline_and_re_armed_by_a_new_deadline()
    {
        var deadline = T0.AddHours(8);
        var facts = Running(T0, deadline).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) });
        var tick = deadline.AddMinutes(-15);
        Assert.True(WorkspaceEligibility.ShouldRemindAutostop(facts, tick));
        var stamped = facts.WithBuild(b => b with { NotifiedAutostopDeadline = deadline });
        Assert.False(WorkspaceEligibility.ShouldRemindAutostop(stamped, tick.AddMinutes(7.5)));
        var bumped = stamped.WithBuild(b => b with { Deadline = deadline.AddHours(2) });
        Assert.True(WorkspaceEligibility.ShouldRemindAutostop(bumped, deadline.AddHours(2).AddMinutes(-15)));
    }

    [Fact]
    public void Reminder_is_not_suppressed_for_an_active_owner_when_bumps_are_off()
    {
        var deadline = T0.AddHours(8);
        var facts = Running(T0, deadline)
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30), ActivityBump = TimeSpan.Zero })
            .WithWorkspace(w => w with { LastUsedAt = deadline.AddMinutes(-16) });
        Assert.True(WorkspaceEligibility.ShouldRemindAutostop(facts, deadline.AddMinutes(-15)));
    }
}
