using System.Runtime.Versioning;
using System.Text.Json;
using Dapper;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// The rules for failed, unused and forgotten workspaces (failed stop after the failure TTL, dormancy, auto-delete, the
/// failed delete retried after 24 h), the autostop reminder and a template change re-planning the timers — each at
/// its boundary, with strict rules planned one millisecond after their threshold.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceInactivityTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Strict = LifecycleConstants.StrictStep;

    [Fact]
    public Task A_failed_stop_is_retried_once_the_failure_ttl_has_passed_and_not_before() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("failure_ttl = '10 minutes'");
            var (id, _) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(1));
            var deadline = (await kit.ViewAsync(id)).Deadline!.Value;
            kit.Claims.Machines.Control("EXIT_StopInstance=1");

            await kit.AdvanceToAsync(deadline);
            var failed = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the failed autostop");
            Assert.Equal((BuildTransition.Stop, BuildStatus.Failed), (failed.LatestTransition!.Value, failed.LatestStatus!.Value));
            var failedBuild = (await kit.BuildsAsync(id))[2];
            Assert.Contains("scripted exit 1", failedBuild.Error, StringComparison.Ordinal);
            var threshold = failedBuild.CompletedAt!.Value + TimeSpan.FromMinutes(10);
            Assert.Equal(threshold + Strict, failed.NextDueAt);
            Assert.Equal("running", await kit.InstanceStatusAsync(id));
            kit.Claims.Machines.Control(string.Empty);

            await kit.AdvanceToAsync(threshold - Second);
            Assert.Equal(3, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(threshold + Second);
            var retried = await kit.SettledAsync(id, v => v.BuildNumber == 4, "the retried stop");

            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop, BuildStatus.Succeeded), (retried.LatestTransition!.Value, retried.LatestReason!.Value, retried.LatestStatus!.Value));
            Assert.Equal("stopped", await kit.InstanceStatusAsync(id));
        });

    [Fact]
    public Task Dormancy_stops_a_running_workspace_after_the_threshold_and_sends_one_notice_without_a_deletion_time() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_dormant = '1 hour'");
            var (id, owner) = await kit.ClaimedAsync();
            var view = await kit.ViewAsync(id);
            var threshold = view.LastUsedAt!.Value + TimeSpan.FromHours(1);
            Assert.Equal(threshold + Strict, view.NextDueAt);

            await kit.AdvanceToAsync(threshold - Second);
            Assert.Null((await kit.ViewAsync(id)).DormantAt);
            await kit.AdvanceToAsync(threshold + Second);
            var dormant = await kit.SettledAsync(id, v => v.BuildNumber == 3 && v.DormantAt is not null, "dormancy");

            Assert.Equal((BuildTransition.Stop, BuildReason.Dormancy), (dormant.LatestTransition!.Value, dormant.LatestReason!.Value));
            Assert.Null(dormant.DeletingAt);
            Assert.True(dormant.DormantAt > threshold);
            var notice = Assert.Single(await kit.NoticesAsync(id));
            Assert.Equal(("workspace_dormant", owner), (notice.Kind, notice.RecipientId));
            var labels = Labels(notice);
            Assert.Equal(LifecycleNotices.InactivityReason, labels["reason"]);
            Assert.False(labels.ContainsKey("timeTilDelete"), $"no deletion is scheduled, yet the notice says {notice.Labels}");
            Assert.Null(dormant.NextDueAt);
        });

    [Fact]
    public Task A_stopped_workspace_is_only_marked_dormant_after_the_threshold_and_activity_wakes_it() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_dormant = '1 hour', time_til_dormant_autodelete = '2 days'");
            var (id, owner) = await kit.ClaimedAsync();
            await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
            var stopped = await kit.SettledAsync(id, v => v.BuildNumber == 3, "the user's stop");
            var threshold = stopped.LastUsedAt!.Value + TimeSpan.FromHours(1);

            await kit.AdvanceToAsync(threshold - Second);
            Assert.Null((await kit.ViewAsync(id)).DormantAt);
            await kit.AdvanceToAsync(threshold + Second);
            var dormant = await kit.UntilAsync(id, v => v.DormantAt is not null, "the dormancy mark");

            Assert.Equal(3, dormant.BuildNumber);
            Assert.Equal(dormant.DormantAt!.Value + TimeSpan.FromDays(2), dormant.DeletingAt);
            Assert.Equal(1, await kit.AuditCountAsync(id, "write", "dormant/%"));
            var labels = Labels(Assert.Single(await kit.NoticesAsync(id)));
            Assert.Equal("2 days from now", labels["timeTilDelete"]);

            await kit.Handle(id).SignalAsync(wf => wf.RecordWorkspaceActivityAsync(new WorkspaceActivity(owner)));
            var awake = await kit.UntilAsync(id, v => v.DormantAt is null, "the wake-up");
            Assert.Null(awake.DeletingAt);
            Assert.True(awake.LastUsedAt > threshold);
            Assert.Equal(awake.LastUsedAt!.Value + TimeSpan.FromHours(1) + Strict, awake.NextDueAt);
        });

    [Fact]
    public Task A_dormant_workspace_is_deleted_after_time_til_autodelete_and_the_notice_states_the_true_deletion_time() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_dormant = '1 hour', time_til_dormant_autodelete = '35 days'");
            var (id, _) = await kit.ClaimedAsync();
            var lastUsed = (await kit.ViewAsync(id)).LastUsedAt!.Value;
            await kit.AdvanceToAsync(lastUsed + TimeSpan.FromHours(1) + Second);
            var dormant = await kit.SettledAsync(id, v => v.DormantAt is not null && v.BuildNumber == 3, "dormancy");
            var deletingAt = dormant.DeletingAt!.Value;
            Assert.Equal(dormant.DormantAt!.Value + TimeSpan.FromDays(35), deletingAt);
            Assert.Equal(deletingAt + Strict, dormant.NextDueAt);
            var labels = Labels(Assert.Single(await kit.NoticesAsync(id)));
            Assert.Contains("1 month", labels["timeTilDelete"], StringComparison.Ordinal);
            Assert.DoesNotContain("ago", labels["timeTilDelete"], StringComparison.Ordinal);

            await kit.AdvanceToAsync(deletingAt - Second);
            Assert.Equal(3, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(deletingAt + Second);
            await DeletedAsync(kit, id);

            var delete = (await kit.BuildsAsync(id))[^1];
            Assert.Equal(("delete", "autodelete", "succeeded"), (delete.Transition, delete.Reason, delete.JobStatus));
            Assert.True(delete.CreatedAt > deletingAt);
        });

    [Fact]
    public Task A_failed_automatic_delete_is_retried_only_after_24_hours() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_dormant = '1 hour', time_til_dormant_autodelete = '1 hour'");
            var (id, _) = await kit.ClaimedAsync();
            var lastUsed = (await kit.ViewAsync(id)).LastUsedAt!.Value;
            await kit.AdvanceToAsync(lastUsed + TimeSpan.FromHours(1) + Second);
            var dormant = await kit.SettledAsync(id, v => v.DormantAt is not null && v.BuildNumber == 3, "dormancy");
            kit.Claims.Machines.Control("DELETE_FAIL=-1");

            await kit.AdvanceToAsync(dormant.DeletingAt!.Value + Second);
            var failed = await kit.SettledAsync(id, v => v.BuildNumber == 4 && v.LatestStatus == BuildStatus.Failed, "the failed autodelete");
            Assert.Equal(BuildTransition.Delete, failed.LatestTransition);
            var failedAt = (await kit.BuildsAsync(id))[3].CompletedAt!.Value;
            var retryAt = failedAt + LifecycleConstants.FailedDeleteRetryAfter;
            Assert.Equal(retryAt + Strict, failed.NextDueAt);
            kit.Claims.Machines.Control(string.Empty);

            await kit.AdvanceToAsync(retryAt - Second);
            Assert.Equal(4, (await kit.ViewAsync(id)).BuildNumber);
            await kit.AdvanceToAsync(retryAt + Second);
            await DeletedAsync(kit, id);

            var builds = await kit.BuildsAsync(id);
            Assert.Equal(["delete/autodelete failed", "delete/autodelete succeeded"], builds.Skip(3).Select(b => $"{b.Transition}/{b.Reason} {b.JobStatus}"));
            Assert.True(builds[4].CreatedAt > retryAt);
        });

    [Fact]
    public Task The_autostop_reminder_is_sent_once_when_the_lead_time_begins() =>
        RunAsync(async kit =>
        {
            await kit.TemplateAsync("time_til_autostop_notify = '30 minutes'");
            var (id, owner) = await kit.ClaimedAsync(ttl: TimeSpan.FromHours(2));
            var view = await kit.ViewAsync(id);
            var deadline = view.Deadline!.Value;
            var remindAt = deadline - TimeSpan.FromMinutes(30);
            Assert.Equal(remindAt, view.NextDueAt);

            await kit.AdvanceToAsync(remindAt - Second);
            Assert.Empty(await kit.NoticesAsync(id));
            await kit.AdvanceToAsync(remindAt);
            await kit.UntilAsync(id, v => v.NextDueAt == deadline, "the reminder");

            var notice = Assert.Single(await kit.NoticesAsync(id));
            Assert.Equal(("workspace_autostop_reminder", owner), (notice.Kind, notice.RecipientId));
            Assert.Contains(Labels(notice)["timeTilShutdown"], new[] { "30 minutes from now", "29 minutes from now" });
            await using var connection = await kit.DataSource.OpenConnectionAsync();
            Assert.Equal(deadline, await connection.ExecuteScalarAsync<DateTimeOffset?>(
                "SELECT notified_autostop_deadline FROM workspace_builds WHERE workspace_id = @id AND build_number = 2", new { id }));
            await kit.AdvanceToAsync(deadline);
            await kit.SettledAsync(id, v => v.BuildNumber == 3, "autostop");
            Assert.Single(await kit.NoticesAsync(id));
        });

    [Fact]
    public Task A_template_policy_change_re_plans_the_timers_at_once() =>
        RunAsync(async kit =>
        {
            var (id, _) = await kit.ClaimedAsync();
            var view = await kit.ViewAsync(id);
            Assert.Null(view.NextDueAt);

            await kit.TemplateAsync("time_til_dormant = '2 hours'");
            await kit.Handle(id).SignalAsync(wf => wf.TemplatePolicyChangedAsync());
            var threshold = view.LastUsedAt!.Value + TimeSpan.FromHours(2);
            await kit.UntilAsync(id, v => v.NextDueAt == threshold + Strict, "the dormancy timer");

            await kit.AdvanceToAsync(threshold - Second);
            Assert.Null((await kit.ViewAsync(id)).DormantAt);
            await kit.AdvanceToAsync(threshold + Second);
            await kit.SettledAsync(id, v => v.DormantAt is not null && v.BuildNumber == 3, "dormancy after the template change");
        });

    private static Dictionary<string, string> Labels(NoticeRow notice) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(notice.Labels) ?? [];

    private static async Task DeletedAsync(WorkspaceKit kit, Guid id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = await kit.DataSource.OpenConnectionAsync();
            if (await connection.ExecuteScalarAsync<bool>("SELECT deleted FROM workspaces WHERE id = @id", new { id }))
                return;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        throw new TimeoutException($"workspace {id} was not deleted");
    }
}
