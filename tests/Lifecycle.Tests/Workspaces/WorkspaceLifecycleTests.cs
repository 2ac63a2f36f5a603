using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Client;
using Temporalio.Exceptions;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// The workspace phase of the Instance workflow on time-skipping temporal-dev, with a real worker, real activities, the
/// scripted provider and real PostgreSQL: each rule fires at its due time (one second before: nothing; at or just after:
/// the transition), driven by the workflow's own durable timer.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceLifecycleTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public Task A_claim_runs_a_start_build_under_the_new_owner_whose_deadline_counts_from_the_claim() =>
        RunAsync(async kit =>
        {
            var before = await kit.NowAsync();
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(2));

            var builds = await kit.BuildsAsync(id);
            Assert.Equal(2, builds.Count);
            var claimBuild = builds[1];
            Assert.Equal(("start", "initiator", owner, "succeeded"), (claimBuild.Transition, claimBuild.Reason, claimBuild.InitiatorId, claimBuild.JobStatus));
            Assert.NotNull(claimBuild.CompletedAt);
            var claimedAt = (await kit.Handle(id).QueryAsync(wf => wf.Claimed()))!.ClaimedAt;
            Assert.Equal(WorkspaceKit.Stored(claimedAt + TimeSpan.FromHours(2)), claimBuild.Deadline);
            Assert.True(claimBuild.CreatedAt >= before, $"the claim build {claimBuild.CreatedAt:O} counts from the claim, after {before:O}");
            var state = await kit.Handle(id).QueryAsync(wf => wf.State());
            Assert.Equal((InstancePhase.Workspace, (Guid?)owner), (state.Phase, state.OwnerId));
            var view = await kit.ViewAsync(id);
            Assert.Equal(claimBuild.Deadline, view.NextDueAt);
            Assert.Equal(1, await kit.AuditCountAsync(id, "start"));
        });

    [Fact]
    public Task Autostop_fires_at_the_deadline_not_a_second_before() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;

            await kit.AdvanceToAsync(deadline - Second);
            Assert.Equal(2, (await kit.ViewAsync(id)).BuildNumber);

            await kit.AdvanceToAsync(deadline);
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "autostop");

            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop, InstanceStatus.Stopped), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value, stopped.Status));
            var stop = (await kit.BuildsAsync(id))[2];
            Assert.Equal(("stop", "autostop", owner, "succeeded"), (stop.Transition, stop.Reason, stop.InitiatorId, stop.JobStatus));
            Assert.True(stop.CreatedAt >= deadline, $"stop build at {stop.CreatedAt:O}, deadline {deadline:O}");
            Assert.Equal("stopped", await kit.InstanceStatusAsync(id));
            Assert.Contains("StopInstance", kit.Claims.Machines.Commands());
            Assert.Null(stopped.NextDueAt);
            var runs = await kit.RunsAsync(id);
            await Instances.HistoryFiles.RecordIfAskedAsync("instance-workspace-claim-autostop", runs[0]);
            if (runs.Count > 1)
                await Instances.HistoryFiles.RecordIfAskedAsync("instance-workspace-claim-autostop-continued", runs[^1]);
        });

    [Fact]
    public Task Autostart_fires_at_the_cron_time_not_a_second_before() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(schedule: "CRON_TZ=UTC 0 * * * *");
            await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the user's stop");
            var next = stopped.NextDueAt!.Value;
            Assert.Equal(0, next.Minute);
            Assert.Equal(0, next.Second);

            await kit.AdvanceToAsync(next - Second);
            Assert.Equal(3, (await kit.ViewAsync(id)).BuildNumber);

            await kit.AdvanceToAsync(next);
            var started = await kit.SettledAsync(id, v => v.BuildNumber == 4, "autostart");

            Assert.Equal((BuildTransition.Start, BuildReason.Autostart, InstanceStatus.Running), (started.LatestTransition!.Value, started.LatestReason!.Value, started.Status));
            Assert.True((await kit.BuildsAsync(id))[3].CreatedAt >= next);
            Assert.Equal("running", await kit.InstanceStatusAsync(id));
            Assert.Equal(next.AddHours(1), started.NextStartAt);
        });

    [Fact]
    public Task A_schedule_change_re_plans_a_pending_autostart_at_once() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(schedule: "CRON_TZ=UTC 0 * * * *");
            await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the user's stop");
            var planned = stopped.NextDueAt!.Value;

            var change = new WorkspaceScheduleChange("CRON_TZ=UTC 30 * * * *", null, InitiatorId: owner);
            var changed = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(change));

            var replanned = changed.NextStartAt!.Value;
            Assert.Equal(30, replanned.Minute);
            Assert.Equal("CRON_TZ=UTC 30 * * * *", changed.AutostartSchedule);
            var view = await kit.UntilAsync(id, v => v.NextDueAt == replanned, "the re-planned timer");
            Assert.NotEqual(planned, view.NextDueAt);
            if (replanned > planned)
            {
                await kit.AdvanceToAsync(planned + Second);
                Assert.Equal(3, (await kit.ViewAsync(id)).BuildNumber);
            }
            await kit.AdvanceToAsync(replanned - Second);
            Assert.Equal(3, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(replanned);
            var started = await kit.SettledAsync(id, v => v.BuildNumber == 4, "the re-planned autostart");
            Assert.Equal(BuildReason.Autostart, started.LatestReason);
            Assert.Equal(1, await kit.AuditCountAsync(id, "write", "schedule/%"));
        });

    [Fact]
    public Task Activity_bumps_the_deadline_after_the_throttle_and_not_before() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("activity_bump = '1 hour'");
            var (id, _) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var first = await kit.ViewAsync(id);
            var deadline = first.Deadline!.Value;

            // Less than 5% of the bump has passed since the deadline was set: no bump (Coder's throttle).
            await kit.AdvanceToAsync(deadline - TimeSpan.FromMinutes(58));
            await kit.Handle(id).SignalAsync(wf => wf.RecordWorkspaceActivityAsync(new WorkspaceActivity()));
            await kit.UntilAsync(id, v => v.NextDueAt == deadline, "the unchanged plan");
            Assert.Equal(deadline, (await kit.ViewAsync(id)).Deadline);

            await kit.AdvanceToAsync(deadline - TimeSpan.FromMinutes(30));
            var now = await kit.NowAsync();
            await kit.Handle(id).SignalAsync(wf => wf.RecordWorkspaceActivityAsync(new WorkspaceActivity()));
            var bumped = await kit.UntilAsync(id, v => v.Deadline > deadline, "the bump");

            var expected = new DateTimeOffset(now) + TimeSpan.FromHours(1);
            Assert.InRange(bumped.Deadline!.Value, expected, expected + TimeSpan.FromSeconds(5));
            Assert.Equal(bumped.Deadline, bumped.NextDueAt);
            await kit.AdvanceToAsync(deadline + Second);
            Assert.Equal(2, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(bumped.Deadline!.Value);
            await kit.SettledAsync(id, v => v.BuildNumber == 3 && v.LatestReason == BuildReason.Autostop, "the autostop at the bumped deadline");
        });

    [Fact]
    public Task A_suspended_owners_running_workspace_is_stopped_at_once() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(8));
            await kit.ExecuteAsync("UPDATE users SET status = 'suspended' WHERE id = @owner", new { owner });
            var before = await kit.NowAsync();

            await kit.Handle(id).SignalAsync(wf => wf.OwnerStatusChangedAsync());
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the stop of a suspended owner's workspace");

            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value));
            Assert.True((await kit.BuildsAsync(id))[2].CreatedAt - before < TimeSpan.FromMinutes(1), "stopped at once, not at the deadline");
        });

    [Fact]
    public Task Updates_are_rejected_without_events_for_a_prebuild_a_bad_cron_and_a_ttl_out_of_range() =>
        RunAsync(async kit =>
        {
            var prebuild = await kit.Claims.PrebuildAsync();
            Assert.Null(await kit.Handle(prebuild.Id).QueryAsync(wf => wf.Workspace()));
            var events = await kit.Claims.EventCountAsync(prebuild.Id);
            var notWorkspace = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() =>
                kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.StartWorkspaceAsync(new WorkspaceBuildRequest(Guid.NewGuid()))));
            Assert.Equal(WorkspaceFailures.NotAWorkspace, Assert.IsType<ApplicationFailureException>(notWorkspace.InnerException).ErrorType);
            Assert.Equal(events, await kit.Claims.EventCountAsync(prebuild.Id));
            await kit.Handle(prebuild.Id).TerminateAsync("test over");

            var (id, owner) = await kit.ClaimedAsync();
            events = await kit.Claims.EventCountAsync(id);
            foreach (var (change, field) in new[]
            {
                (new WorkspaceScheduleChange("not a cron", null), "autostart_schedule"),
                (new WorkspaceScheduleChange("CRON_TZ=Mars/Olympus 0 9 * * *", null), "autostart_schedule"),
                (new WorkspaceScheduleChange(null, TimeSpan.FromDays(31)), "ttl"),
                (new WorkspaceScheduleChange(null, TimeSpan.FromSeconds(30)), "ttl"),
            })
            {
                var refused = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() =>
                    kit.Handle(id).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(change)));
                var failure = Assert.IsType<ApplicationFailureException>(refused.InnerException);
                Assert.Equal(WorkspaceFailures.InvalidRequest, failure.ErrorType);
                Assert.Equal(field, failure.Details.ElementAt<string>(0));
            }
            Assert.Equal(events, await kit.Claims.EventCountAsync(id));
            Assert.NotNull(owner.ToString());
        });

    [Fact]
    public Task User_stop_and_start_updates_build_under_the_initiator_and_a_delete_goes_through_the_delete_path() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var admin = await kit.Claims.UserAsync();

            var stopped = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(admin)));
            Assert.Equal((3, BuildTransition.Stop, BuildReason.Initiator, BuildStatus.Succeeded, InstanceStatus.Stopped), (stopped.BuildNumber, stopped.LatestTransition!.Value, stopped.LatestReason!.Value, stopped.LatestStatus!.Value, stopped.Status));
            Assert.Null(stopped.Deadline);
            var started = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StartWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            Assert.Equal((4, BuildTransition.Start, InstanceStatus.Running), (started.BuildNumber, started.LatestTransition!.Value, started.Status));
            var builds = await kit.BuildsAsync(id);
            Assert.Equal([admin, owner], builds.Skip(2).Select(b => b.InitiatorId));
            Assert.Equal(builds[3].CompletedAt + TimeSpan.FromHours(1), started.Deadline);
            Assert.Equal(started.Deadline, started.NextDueAt);
            Assert.Equal(["StartInstance", "StopInstance", "StartInstance"], kit.Claims.Machines.Commands().Where(c => c is "StartInstance" or "StopInstance"));

            await kit.Handle(id).SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(false, "user")));
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while ((await kit.BuildsAsync(id))[^1] is not { Transition: "delete", JobStatus: "succeeded" } && DateTime.UtcNow < deadline)
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            var delete = (await kit.BuildsAsync(id))[^1];
            Assert.Equal(("delete", "initiator", "succeeded"), (delete.Transition, delete.Reason, delete.JobStatus));
            Assert.Equal("deleted", await kit.InstanceStatusAsync(id));
        });
}
