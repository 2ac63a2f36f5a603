using Lifecycle.Workflows.Workspaces;
using Xunit;
using static Lifecycle.UnitTests.Workspaces.Facts;

namespace Lifecycle.UnitTests.Workspaces;

/// <summary>Spec §4.1–4.2 acceptance scenarios that are about decisions, named after their Coder tests.</summary>
public class ExecutorScenarioTests
{
    private static readonly DateTimeOffset T0 = At("2024-03-04T10:30:00Z");
    private static readonly DateTimeOffset NextHour = At("2024-03-04T11:00:00Z");

    private static void AssertBuild(WorkspaceDecision d, BuildTransition transition, BuildReason reason)
    {
        Assert.Equal(transition, d.Transition);
        Assert.Equal(reason, d.Reason);
    }

    private static void AssertNoTransition(WorkspaceDecision d) => Assert.Null(d.Transition);

    [Fact]
    public void S01_TestExecutorAutostartOK()
    {
        var d = WorkspaceLifecycle.Decide(Stopped(T0, Hourly), NextHour);
        AssertBuild(d, BuildTransition.Start, BuildReason.Autostart);
        Assert.Equal(LifecycleRule.Autostart, d.Rule);
        Assert.False(d.UseActiveVersion);
        Assert.False(d.AutoUpdated);
    }

    [Fact]
    public void S02_TestExecutorAutostartTemplateUpdated_Never_keeps_the_old_version()
    {
        var facts = Stopped(T0, Hourly) with { ActiveTemplateVersionId = VersionTwo };
        var d = WorkspaceLifecycle.Decide(facts, NextHour);
        AssertBuild(d, BuildTransition.Start, BuildReason.Autostart);
        Assert.False(d.UseActiveVersion);
        Assert.False(d.AutoUpdated);
    }

    [Fact]
    public void S03_TestExecutorAutostartTemplateUpdated_Always_moves_to_the_active_version_and_notifies()
    {
        var stopped = Stopped(T0, Hourly) with { ActiveTemplateVersionId = VersionTwo };
        var facts = stopped.WithWorkspace(w => w with { AutomaticUpdates = AutomaticUpdates.Always });
        var d = WorkspaceLifecycle.Decide(facts, NextHour);
        AssertBuild(d, BuildTransition.Start, BuildReason.Autostart);
        Assert.True(d.UseActiveVersion);
        Assert.True(d.AutoUpdated);

        var labels = LifecycleNotices.AutoUpdated("dev", d.Reason!.Value, "v2", versionMessage: "");
        Assert.Equal("autobuild", labels["initiator"]);
        Assert.Equal("autostart", labels["reason"]);
        Assert.Equal("v2", labels["template_version_name"]);
        Assert.Equal("None provided", labels["template_version_message"]);
        Assert.Equal("fix the build", LifecycleNotices.AutoUpdated("dev", BuildReason.Autostart, "v2", "fix the build")["template_version_message"]);

        // Already on the active version: the start uses it, but there is nothing to announce.
        var current = WorkspaceLifecycle.Decide(facts with { ActiveTemplateVersionId = VersionOne }, NextHour);
        Assert.True(current.UseActiveVersion);
        Assert.False(current.AutoUpdated);
    }

    [Fact]
    public void S05_TestExecutorAutostartAlreadyRunning() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Running(T0).WithWorkspace(w => w with { AutostartSchedule = Hourly, NextStartAt = NextHour }), NextHour));

    [Fact]
    public void S06_TestExecutorAutostartNotEnabled() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Stopped(T0), T0.AddHours(24)));

    [Fact]
    public void S07_TestExecutorAutostartUserSuspended() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Stopped(T0, Hourly) with { OwnerStatus = OwnerStatus.Suspended }, NextHour));

    [Fact]
    public void S08_TestExecutorAutostopOK()
    {
        var deadline = T0.AddHours(8);
        AssertBuild(WorkspaceLifecycle.Decide(Running(T0, deadline), deadline.AddMinutes(1)), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S09_TestExecutorAutostopExtend()
    {
        var deadline = T0.AddHours(8);
        var extended = Running(T0, deadline.AddMinutes(30));
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(extended, deadline.AddMinutes(1)));
        AssertBuild(WorkspaceLifecycle.Decide(extended, deadline.AddMinutes(31)), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S10_TestExecutorAutostopAlreadyStopped()
    {
        var oldDeadline = T0.AddHours(8);
        var stopped = Stopped(T0).WithBuild(b => b with { Deadline = oldDeadline });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(stopped, oldDeadline.AddMinutes(1)));
    }

    [Fact]
    public void S11_TestExecutorAutostopNotEnabled() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Running(T0, deadline: null), T0.AddYears(1)));

    [Fact]
    public void S12_TestExecutorWorkspaceDeleted() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Stopped(T0, Hourly) with { IsDeleted = true }, NextHour));

    [Fact]
    public void S13_TestExecutorWorkspaceAutostartTooEarly() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Stopped(T0, Hourly), NextHour.AddMinutes(-1)));

    [Fact]
    public void S14_TestExecutorWorkspaceAutostopBeforeDeadline() =>
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Running(T0, T0.AddHours(8)), T0.AddHours(8).AddMinutes(-1)));

    [Fact]
    public void S15_TestExecuteAutostopSuspendedUser()
    {
        var facts = Running(T0, T0.AddHours(8)) with { OwnerStatus = OwnerStatus.Suspended };
        AssertBuild(WorkspaceLifecycle.Decide(facts, DateTimeOffset.UnixEpoch), BuildTransition.Stop, BuildReason.Autostop);
        Assert.Equal(T0, WorkspaceLifecycle.NextDueAt(facts, T0));
    }

    [Fact]
    public void S16_TestExecutorWorkspaceAutostopNoWaitChangedMyMind()
    {
        var oldDeadline = T0.AddHours(8);
        var running = Running(T0, oldDeadline);
        var cleared = running.WithBuild(b => b with { Deadline = WorkspaceScheduleRequest.DeadlineAfterTtlChange(b, ttl: null, now: T0.AddHours(1)) });
        Assert.Null(cleared.LatestBuild.Deadline);
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(cleared, oldDeadline.AddMinutes(1)));
        Assert.Null(WorkspaceLifecycle.NextDueAt(cleared, T0.AddHours(1)));
    }

    [Fact]
    public void S19_TestExecutorAutostartTemplateDisabled()
    {
        var facts = Stopped(T0, Hourly, Template() with { AllowUserAutostart = false });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, NextHour.AddMinutes(1)));
    }

    [Fact]
    public void S20_TestExecutorAutostopTemplateDisabled()
    {
        var template = Template() with { DefaultTtl = TimeSpan.FromHours(1), AllowUserAutostop = false };
        var workspace = new WorkspaceSettings { LastUsedAt = T0, Ttl = TimeSpan.FromMinutes(30) };
        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, T0, workspace, template, quietHoursSchedule: null);
        Assert.Equal(T0.AddHours(1), times.Deadline);

        var running = Running(T0, times.Deadline, template) with { Workspace = workspace };
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(running, T0.AddMinutes(45)));
        AssertBuild(WorkspaceLifecycle.Decide(running, T0.AddMinutes(61)), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S23_TestNotifications_Dormancy_without_auto_delete()
    {
        var facts = Stopped(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromMinutes(1) });
        var tick = T0.AddMinutes(3);
        var d = WorkspaceLifecycle.Decide(facts, tick);
        Assert.Equal(LifecycleRule.Dormancy, d.Rule);
        AssertNoTransition(d);
        Assert.Equal(BuildReason.Dormancy, d.Reason);
        Assert.True(d.MarkDormant);

        var (dormantAt, deletingAt) = Dormancy.Mark(tick, facts.Template);
        Assert.Equal(tick, dormantAt);
        Assert.Null(deletingAt);
        var labels = LifecycleNotices.Dormant("dev", deletingAt, tick);
        Assert.Equal("dev", labels["name"]);
        Assert.Equal("inactivity exceeded the dormancy threshold", labels["reason"]);
        Assert.False(labels.ContainsKey("timeTilDelete"));
    }

    [Fact]
    public void S24_TestNotifications_DormancyAutoDelete_states_the_true_deletion_time()
    {
        var template = Template() with { TimeTilDormant = TimeSpan.FromMinutes(1), TimeTilDormantAutodelete = TimeSpan.FromDays(35) };
        var tick = T0.AddMinutes(3);
        var (_, deletingAt) = Dormancy.Mark(tick, template);
        Assert.Equal(tick.AddDays(35), deletingAt);
        var timeTilDelete = LifecycleNotices.Dormant("dev", deletingAt, tick)["timeTilDelete"];
        Assert.Contains("1 month", timeTilDelete, StringComparison.Ordinal);
        Assert.DoesNotContain("ago", timeTilDelete, StringComparison.Ordinal);
    }

    [Fact]
    public void S25_TestExecutorPrebuilds_OnlyStopsAfterClaimed()
    {
        var deadline = T0.AddHours(1);
        var prebuild = Running(T0, deadline) with { IsPrebuild = true };
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(prebuild, deadline.AddMinutes(1)));

        var claimedAt = deadline.AddMinutes(2);
        var newDeadline = claimedAt.AddHours(2);
        var claimed = Running(claimedAt, newDeadline);
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(claimed, newDeadline.AddMinutes(-1)));
        AssertBuild(WorkspaceLifecycle.Decide(claimed, newDeadline.AddMinutes(1)), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S26_TestExecutorPrebuilds_OnlyStartsAfterClaimed()
    {
        const string midnight = "CRON_TZ=UTC 0 0 * * *";
        var prebuild = Stopped(T0, midnight) with { IsPrebuild = true };
        var firstMidnight = At("2024-03-05T00:00:00Z");
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(prebuild, firstMidnight.AddMinutes(1)));

        // Claimed (with a schedule) and then stopped; the next midnight starts it.
        var stoppedAfterClaim = Stopped(firstMidnight.AddHours(2), midnight);
        AssertBuild(WorkspaceLifecycle.Decide(stoppedAfterClaim, firstMidnight.AddDays(1).AddMinutes(1)), BuildTransition.Start, BuildReason.Autostart);
    }

    [Fact]
    public void S27_TestExecutorAutostopReminder_Sent()
    {
        var deadline = T0.AddHours(8);
        var facts = Running(T0, deadline)
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) })
            .WithWorkspace(w => w with { LastUsedAt = T0.AddYears(-1) });
        var tick = deadline.AddMinutes(-15);
        var d = WorkspaceLifecycle.Decide(facts, tick);
        Assert.Equal(LifecycleRule.AutostopReminder, d.Rule);
        Assert.True(d.RemindAutostop);
        AssertNoTransition(d);
        var labels = LifecycleNotices.AutostopReminder("dev", deadline, tick);
        Assert.Equal("dev", labels["workspace"]);
        Assert.Equal("15 minutes from now", labels["timeTilShutdown"]);
    }

    [Fact]
    public void S28_TestExecutorAutostopReminder_ActiveWorkspaceNotReminded()
    {
        var deadline = T0.AddHours(8);
        var tick = deadline.AddMinutes(-15);
        var facts = Running(T0, deadline)
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) })
            .WithWorkspace(w => w with { LastUsedAt = tick.AddMinutes(-1) });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, tick));
    }

    [Fact]
    public void S29_TestExecutorAutostopReminder_ActiveWorkspaceAtMaxDeadlineReminded()
    {
        var deadline = T0.AddHours(8);
        var tick = deadline.AddMinutes(-15);
        var facts = Running(T0, deadline)
            .WithBuild(b => b with { MaxDeadline = deadline })
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) })
            .WithWorkspace(w => w with { LastUsedAt = tick.AddMinutes(-1) });
        Assert.True(WorkspaceLifecycle.Decide(facts, tick).RemindAutostop);
    }

    [Fact]
    public void S30_TestExecutorAutostopReminder_NotBeforeWindow_and_Disabled()
    {
        var deadline = T0.AddHours(8);
        var idle = Running(T0, deadline).WithWorkspace(w => w with { LastUsedAt = T0.AddYears(-1) });
        var lead30 = idle.WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(lead30, deadline.AddMinutes(-60)));
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(idle, deadline.AddMinutes(-1)));
    }

    [Fact]
    public void S31_TestExecutorAutostopReminder_NoDuplicate_and_DeadlineBumped()
    {
        var deadline = T0.AddHours(8);
        var facts = Running(T0, deadline)
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromMinutes(30) })
            .WithWorkspace(w => w with { LastUsedAt = T0.AddYears(-1) });
        var sent = 0;
        foreach (var tick in new[] { deadline.AddMinutes(-15), deadline.AddMinutes(-7.5) })
            facts = RunReminderTick(facts, tick, ref sent);
        Assert.Equal(1, sent);

        var extended = deadline.AddHours(2);
        facts = facts.WithBuild(b => b with { Deadline = extended });
        facts = RunReminderTick(facts, extended.AddMinutes(-15), ref sent);
        Assert.Equal(2, sent);
    }

    [Fact]
    public void S32_TestExecutorAutostopReminder_ExceedsLifetime_and_FailedEnqueueNotRetried()
    {
        var deadline = T0.AddHours(8);
        var longLead = Running(T0, deadline)
            .WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(100) })
            .WithWorkspace(w => w with { LastUsedAt = T0.AddYears(-1) });
        var sent = 0;
        foreach (var tick in new[] { deadline.AddHours(-1), deadline.AddMinutes(-30) })
            longLead = RunReminderTick(longLead, tick, ref sent);
        Assert.Equal(1, sent);

        // The marker is stamped before the send: a send that fails is not retried at the next tick.
        var lead2h = longLead.WithBuild(b => b with { NotifiedAutostopDeadline = null }).WithTemplate(t => t with { TimeTilAutostopNotify = TimeSpan.FromHours(2) });
        var first = WorkspaceLifecycle.Decide(lead2h, deadline.AddHours(-1));
        Assert.True(first.RemindAutostop);
        var stamped = lead2h.WithBuild(b => b with { NotifiedAutostopDeadline = b.Deadline });
        Assert.False(WorkspaceLifecycle.Decide(stamped, deadline.AddMinutes(-59)).RemindAutostop);
    }

    [Fact]
    public void S35_FailureTTLOK()
    {
        var facts = Running(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) });
        var d = WorkspaceLifecycle.Decide(facts, T0.AddMinutes(2));
        Assert.Equal(LifecycleRule.FailedStop, d.Rule);
        AssertBuild(d, BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S36_FailureTTLStopOK_retries_a_failed_stop()
    {
        var facts = Stopped(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) });
        AssertBuild(WorkspaceLifecycle.Decide(facts, T0.AddMinutes(2)), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S37_FailureTTLTooEarly()
    {
        var facts = Running(T0).Failed().WithTemplate(t => t with { FailureTtl = TimeSpan.FromMinutes(1) });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, T0.AddMinutes(-2)));
    }

    [Fact]
    public void S38_TemplateTTLsUnset()
    {
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Running(T0).Failed(), T0.AddYears(1)));
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(Stopped(T0).Dormant(T0, T0), T0.AddYears(1)));
    }

    [Fact]
    public void S39_DormancyThresholdOK_stops_a_running_workspace()
    {
        var facts = Running(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromMinutes(1) });
        var d = WorkspaceLifecycle.Decide(facts, T0.AddMinutes(2));
        AssertBuild(d, BuildTransition.Stop, BuildReason.Dormancy);
        Assert.True(d.MarkDormant);
    }

    [Fact]
    public void S40_InactiveStoppedWorkspaceNoTransition()
    {
        var facts = Stopped(T0).WithTemplate(t => t with { TimeTilDormant = TimeSpan.FromMinutes(1) });
        var d = WorkspaceLifecycle.Decide(facts, T0.AddMinutes(2));
        AssertNoTransition(d);
        Assert.True(d.MarkDormant);
    }

    [Fact]
    public void S41_WorkspaceInactiveDeleteTransition()
    {
        var template = Template() with { TimeTilDormant = TimeSpan.FromMinutes(1), TimeTilDormantAutodelete = TimeSpan.FromMinutes(1) };
        var running = Running(T0, template: template);
        var tick = T0.AddMinutes(2);
        var d = WorkspaceLifecycle.Decide(running, tick);
        AssertBuild(d, BuildTransition.Stop, BuildReason.Dormancy);

        var (dormantAt, deletingAt) = Dormancy.Mark(tick, template);
        var dormantStopped = Stopped(tick, template: template).Dormant(dormantAt, deletingAt);
        AssertBuild(WorkspaceLifecycle.Decide(dormantStopped, dormantAt.AddMinutes(2)), BuildTransition.Delete, BuildReason.Autodelete);
    }

    [Fact]
    public void S42_DormantTTLTooEarly()
    {
        var template = Template() with { TimeTilDormantAutodelete = TimeSpan.FromMinutes(1) };
        var (dormantAt, deletingAt) = Dormancy.Mark(T0, template);
        var facts = Stopped(T0, template: template).Dormant(dormantAt, deletingAt);
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, dormantAt.AddMinutes(-2)));
        AssertBuild(WorkspaceLifecycle.Decide(facts, dormantAt.AddMinutes(2)), BuildTransition.Delete, BuildReason.Autodelete);
    }

    [Fact]
    public void S43_DormantNoAutostart()
    {
        var template = Template() with { TimeTilDormant = TimeSpan.FromMinutes(1) };
        var stopped = Stopped(T0, Hourly, template).WithWorkspace(w => w with { LastUsedAt = NextHour });
        AssertBuild(WorkspaceLifecycle.Decide(stopped, NextHour), BuildTransition.Start, BuildReason.Autostart);
        var dormant = Stopped(T0, Hourly, template).Dormant(T0.AddMinutes(2));
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(dormant, NextHour));
    }

    [Fact]
    public void S44_FailedDeleteRetryDaily()
    {
        var template = Template() with { TimeTilDormantAutodelete = TimeSpan.FromMinutes(1) };
        var failure = T0;
        var facts = Stopped(T0, template: template)
            .WithBuild(b => b with { Transition = BuildTransition.Delete, Status = BuildStatus.Failed, CompletedAt = failure })
            .Dormant(T0.AddMinutes(-10), T0.AddMinutes(-9));
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, failure.AddHours(1)));
        AssertBuild(WorkspaceLifecycle.Decide(facts, failure.AddHours(25)), BuildTransition.Delete, BuildReason.Autodelete);
    }

    [Fact]
    public void S45_RequireActiveVersion()
    {
        var facts = Stopped(T0, Hourly) with { ActiveTemplateVersionId = VersionTwo };
        Assert.False(WorkspaceLifecycle.Decide(facts, NextHour).UseActiveVersion);
        var required = facts.WithTemplate(t => t with { RequireActiveVersion = true });
        var d = WorkspaceLifecycle.Decide(required, NextHour);
        Assert.True(d.UseActiveVersion);
        Assert.True(d.AutoUpdated);
    }

    [Fact]
    public void S48_NextStartAtIsNullifiedOnScheduleChange_is_recomputed_without_a_transition()
    {
        var tick = At("2024-01-01T08:00:00Z");
        var facts = Stopped(tick.AddHours(-1), "CRON_TZ=UTC 0 9 * * 1-6").WithWorkspace(w => w with { NextStartAt = null });
        var d = WorkspaceLifecycle.Decide(facts, tick);
        AssertNoTransition(d);
        Assert.Equal(LifecycleRule.None, d.Rule);
        Assert.Equal(At("2024-01-01T09:00:00Z"), d.NextStartAt);
        Assert.True(d.Acts);
        Assert.Equal(tick, WorkspaceLifecycle.NextDueAt(facts, tick));
    }

    [Fact]
    public void S50_ActiveWorkspacesNotDeleted()
    {
        var facts = Running(T0).WithTemplate(t => t with { TimeTilDormantAutodelete = TimeSpan.FromMinutes(1) });
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(facts, T0.AddMinutes(2)));
    }

    [Fact]
    public void S51_DefaultTTLOnlyTriggersAfterClaim()
    {
        var template = Template() with { DefaultTtl = TimeSpan.FromHours(2), AllowUserAutostop = false };
        var prebuild = Running(Monday0800, deadline: null, template) with { IsPrebuild = true };
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(prebuild, At("2024-01-01T10:01:00Z")));

        var claimAt = At("2024-01-01T11:01:00Z");
        var settings = WorkspaceScheduleRequest.ForClaim(claimAt, schedule: null, ttl: null, AutomaticUpdates.Never, template);
        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, claimAt, settings, template, quietHoursSchedule: null);
        Assert.Equal(At("2024-01-01T13:01:00Z"), times.Deadline);

        var claimed = Running(claimAt, times.Deadline, template) with { Workspace = settings };
        AssertBuild(WorkspaceLifecycle.Decide(claimed, At("2024-01-01T13:02:00Z")), BuildTransition.Stop, BuildReason.Autostop);
    }

    [Fact]
    public void S52_AutostopScheduleOnlyTriggersAfterClaim()
    {
        var template = Template() with { AutostopRequirement = new AutostopRequirement(Weekdays.All, 1) };
        var prebuild = Running(Monday0800, deadline: null, template) with { IsPrebuild = true };
        var tick = At("2024-01-02T00:01:00Z");
        Assert.Equal(WorkspaceDecision.Nothing, WorkspaceLifecycle.Decide(prebuild, tick));

        var settings = WorkspaceScheduleRequest.ForClaim(tick, null, null, AutomaticUpdates.Never, template);
        var times = AutostopCalculation.AtCompletion(BuildTransition.Start, tick, settings, template, LifecycleConstants.DefaultQuietHoursSchedule);
        Assert.Equal(At("2024-01-03T00:00:00Z"), times.Deadline);
        Assert.Equal(At("2024-01-03T00:00:00Z"), times.MaxDeadline);

        var claimed = Running(tick, times.Deadline, template).WithBuild(b => b with { MaxDeadline = times.MaxDeadline });
        AssertBuild(WorkspaceLifecycle.Decide(claimed, At("2024-01-03T00:01:00Z")), BuildTransition.Stop, BuildReason.Autostop);
    }

    private static WorkspaceFacts RunReminderTick(WorkspaceFacts facts, DateTimeOffset tick, ref int sent)
    {
        var d = WorkspaceLifecycle.Decide(facts, tick);
        if (!d.RemindAutostop)
            return facts;
        sent++;
        return facts.WithBuild(b => b with { NotifiedAutostopDeadline = b.Deadline });
    }
}
