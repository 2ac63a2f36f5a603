using System.Runtime.Versioning;
using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Temporalio.Client;
using Xunit;

namespace Lifecycle.Tests.Workspaces;

/// <summary>
/// Auto-update on autostart (the active version, the owner told after the commit; an incompatible version is an
/// error, not a start), and a workspace made fresh for its owner entering the workspace phase when it becomes ready.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceUpdateTests(TemporalFixture temporal, PostgresDatabase database)
    : WorkspaceWorkflowTests(temporal, database)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public Task An_autostart_with_automatic_updates_moves_to_the_active_version_and_tells_the_owner() =>
        RunAsync(async kit =>
        {
            var (id, owner) = await StoppedWithAutomaticUpdatesAsync(kit);
            var v2 = await NewActiveVersionAsync(kit, "v2", withPreset: true);
            var next = (await kit.ViewAsync(id)).NextDueAt!.Value;

            await kit.AdvanceToAsync(next);
            var started = await kit.SettledAsync(id, v => v.BuildNumber == 4, "the autostart");

            Assert.Equal((BuildReason.Autostart, BuildStatus.Succeeded), (started.LatestReason!.Value, started.LatestStatus!.Value));
            Assert.Equal(v2, (await kit.BuildsAsync(id))[3].TemplateVersionId);
            var notice = Assert.Single(await kit.NoticesAsync(id), n => n.Kind == "workspace_auto_updated");
            Assert.Equal(owner, notice.RecipientId);
            var labels = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(notice.Labels)!;
            Assert.Equal(("v2", "autostart", "faster disks"), (labels["template_version_name"], labels["reason"], labels["template_version_message"]));
        });

    [Fact]
    public Task An_incompatible_active_version_is_an_error_not_a_start() =>
        RunAsync(async kit =>
        {
            var (id, _) = await StoppedWithAutomaticUpdatesAsync(kit);
            await NewActiveVersionAsync(kit, "v3", withPreset: false);
            var next = (await kit.ViewAsync(id)).NextDueAt!.Value;

            await kit.AdvanceToAsync(next);
            var blocked = await kit.UntilAsync(id, v => v.NextDueAt > next, "the refused autostart");

            Assert.Equal((3, BuildTransition.Stop), (blocked.BuildNumber, blocked.LatestTransition!.Value));
            Assert.Equal(3, (await kit.BuildsAsync(id)).Count);
            Assert.Contains("incompatible", (await kit.Handle(id).QueryAsync(wf => wf.State())).LastFault, StringComparison.Ordinal);
            Assert.DoesNotContain(await kit.NoticesAsync(id), n => n.Kind == "workspace_auto_updated");
        });

    [Fact]
    public Task A_workspace_made_for_its_owner_enters_the_workspace_phase_when_ready_and_autostops_at_its_deadline() =>
        RunAsync(async kit =>
        {
            var owner = await kit.Claims.UserAsync();
            var target = await FreshWorkspaces.ReadTargetAsync(kit.DataSource, kit.Seed.PresetId) ?? throw new InvalidOperationException("no preset");
            var settings = WorkspaceScheduleRequest.ForClaim(DateTimeOffset.UtcNow, null, TimeSpan.FromHours(1), AutomaticUpdates.Never, target.Policy);
            var fresh = await FreshWorkspaces.InsertAsync(kit.DataSource, target, owner, "fresh-ws", settings) ?? throw new InvalidOperationException("name taken");
            kit.Track(fresh.InstanceId);
            var input = new InstanceWorkflowInput(fresh.InstanceId, fresh.InstanceName, fresh.ProviderName, fresh.PresetId, fresh.TemplateId, InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy());
            await kit.Temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new($"instance:{fresh.InstanceId}", kit.Claims.TaskQueue));
            var handle = kit.Handle(fresh.InstanceId);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while ((await handle.QueryAsync(wf => wf.State())).Phase != InstancePhase.Bootstrapping && DateTime.UtcNow < deadline)
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            await handle.SignalAsync(wf => wf.ReadyAsync());

            var ready = await kit.SettledAsync(fresh.InstanceId, v => v.Deadline is not null, "the workspace phase");
            Assert.Equal((owner, 1, (Guid?)owner), (ready.OwnerId, ready.BuildNumber, (await handle.QueryAsync(wf => wf.State())).OwnerId));
            Assert.Equal(ready.Deadline, ready.NextDueAt);

            await kit.AdvanceToAsync(ready.Deadline!.Value - Second);
            Assert.Equal(1, (await kit.ViewAsync(fresh.InstanceId)).BuildNumber);
            await kit.AdvanceToAsync(ready.Deadline!.Value);
            var stopped = await kit.SettledAsync(fresh.InstanceId, v => v.BuildNumber == 2, "autostop");
            Assert.Equal((BuildTransition.Stop, BuildReason.Autostop), (stopped.LatestTransition!.Value, stopped.LatestReason!.Value));
        });

    /// <summary>A claimed workspace with an hourly schedule and automatic updates, stopped by its owner.</summary>
    private static async Task<(Guid Id, Guid Owner)> StoppedWithAutomaticUpdatesAsync(WorkspaceKit kit)
    {
        var (id, owner) = await kit.ClaimedAsync(schedule: "CRON_TZ=UTC 0 * * * *");
        var change = new WorkspaceScheduleChange("CRON_TZ=UTC 0 * * * *", null, AutomaticUpdates.Always, owner);
        var changed = await kit.Handle(id).ExecuteUpdateAsync(wf => wf.ChangeWorkspaceScheduleAsync(change));
        Assert.Equal(AutomaticUpdates.Always, changed.AutomaticUpdates);
        await kit.Handle(id).ExecuteUpdateAsync(wf => wf.StopWorkspaceAsync(new WorkspaceBuildRequest(owner)));
        await kit.SettledAsync(id, v => v.BuildNumber == 3, "the user's stop");
        return (id, owner);
    }

    private static async Task<Guid> NewActiveVersionAsync(WorkspaceKit kit, string name, bool withPreset)
    {
        var version = Guid.NewGuid();
        await using var connection = await kit.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO template_versions (id, template_id, name, message) VALUES (@version, @template, @name, 'faster disks');
            INSERT INTO presets (id, template_version_id, name, desired_instances)
                SELECT @preset, @version, 'small', 0 WHERE @withPreset;
            INSERT INTO preset_parameters (preset_id, name, value) SELECT @preset, 'cpu', '4' WHERE @withPreset;
            UPDATE templates SET active_version_id = @version WHERE id = @template;
            """,
            new { version, template = kit.Seed.TemplateId, name, preset = Guid.NewGuid(), withPreset });
        return version;
    }
}
