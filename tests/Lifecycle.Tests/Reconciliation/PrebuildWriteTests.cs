using Lifecycle.Activities.Reconciliation;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Reconciliation;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The reconcile writes against real PostgreSQL: idempotent inserts, the delete guard, cancel, the hard-limit mark.</summary>
public sealed class PrebuildWriteTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Insert_makes_an_unclaimed_instance_with_a_first_start_build_on_the_active_version_and_a_pending_job()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "lxd");
        var preset = await seed.PresetAsync(desired: 2, parameters: new Dictionary<string, string> { ["cpu"] = "4", ["region"] = "eu" });

        var result = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass-1", preset, 0, 2));

        Assert.Null(result.Refusal);
        Assert.Equal(2, result.Instances.Count);
        Assert.All(result.Instances, i => Assert.True(i.Inserted));
        Assert.All(result.Instances, i => Assert.Equal("lxd", i.ProviderName));
        Assert.All(result.Instances, i => Assert.Equal(TimeSpan.FromMinutes(7), i.BootstrapTimeout));
        var rows = await seed.QueryAsync<(Guid Owner, string Name, string InstanceName, string Provider, Guid? Preset, int Build, string Transition, Guid Version, string Parameters, string JobStatus, bool IsPrebuild)>(
            """
            SELECT w.owner_id, w.name, w.instance_name, w.provider_name, w.preset_id, b.build_number, b.transition,
                   b.template_version_id, b.parameters::text, j.job_status, b.is_prebuild
            FROM workspaces w JOIN workspace_builds b ON b.workspace_id = w.id JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE w.id = ANY(@ids)
            """,
            new { ids = result.Instances.Select(i => i.InstanceId).ToArray() });
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal(SystemUsers.PrebuildsUserId, r.Owner);
            Assert.Equal(preset, r.Preset);
            Assert.Equal((1, "start", "pending", true), (r.Build, r.Transition, r.JobStatus, r.IsPrebuild));
            Assert.Equal(seed.ActiveVersionId, r.Version);
            Assert.Equal("lxd", r.Provider);
            Assert.Equal(r.Name, r.InstanceName);
            Assert.Equal("""{"cpu": "4", "region": "eu"}""", r.Parameters);
        });
        Assert.Equal(1, await seed.ScalarAsync<int>(
            "SELECT count(*)::int FROM organization_members WHERE organization_id = @org AND user_id = @user",
            new { org = seed.OrganizationId, user = SystemUsers.PrebuildsUserId }));
    }

    [Fact]
    public async Task Insert_is_idempotent_per_pass_preset_and_index()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 3);

        var first = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass-a", preset, 0, 2));
        var retried = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass-a", preset, 0, 2));
        var overlapping = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass-a", preset, 1, 2));
        var nextPass = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass-b", preset, 0, 1));

        Assert.Equal(first.Instances.Select(i => i.InstanceId), retried.Instances.Select(i => i.InstanceId));
        Assert.All(retried.Instances, i => Assert.False(i.Inserted));
        Assert.Equal([false, true], overlapping.Instances.Select(i => i.Inserted));
        Assert.True(nextPass.Instances.Single().Inserted);
        Assert.Equal(4, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspaces WHERE preset_id = @preset", new { preset }));
        Assert.Equal(4, await seed.ScalarAsync<int>(
            "SELECT count(*)::int FROM workspace_builds b JOIN workspaces w ON w.id = b.workspace_id WHERE w.preset_id = @preset", new { preset }));
    }

    [Theory]
    [InlineData("new_version", "is not the template's active version")]
    [InlineData("template_deleted", "its template is deleted")]
    [InlineData("template_deprecated", "its template is deprecated")]
    [InlineData("no_prebuilds", "has no prebuild configuration")]
    public async Task Insert_refuses_a_preset_that_can_no_longer_have_prebuilds(string change, string refusal)
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        switch (change)
        {
            case "new_version": await seed.VersionAsync(); break;
            case "template_deleted": await seed.ExecuteAsync("UPDATE templates SET deleted = true WHERE id = @id", new { id = seed.TemplateId }); break;
            case "template_deprecated": await seed.ExecuteAsync("UPDATE templates SET deprecated = 'old' WHERE id = @id", new { id = seed.TemplateId }); break;
            default: await seed.ExecuteAsync("UPDATE presets SET desired_instances = NULL WHERE id = @preset", new { preset }); break;
        }

        var result = await PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass", preset, 0, 1));

        Assert.Empty(result.Instances);
        Assert.Contains(refusal, result.Refusal, StringComparison.Ordinal);
        Assert.Contains(preset.ToString(), result.Refusal, StringComparison.Ordinal);
        Assert.Equal(0, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspaces WHERE preset_id = @preset", new { preset }));
    }

    [Fact]
    public async Task Insert_for_a_missing_preset_names_it()
    {
        var missing = Guid.NewGuid();
        var e = await Assert.ThrowsAsync<PrebuildPresetMissingException>(() =>
            PrebuildCreation.InsertAsync(database.DataSource, new InsertPrebuildsRequest("pass", missing, 0, 1)));
        Assert.Contains(missing.ToString(), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_guard_records_one_delete_build_for_an_unclaimed_prebuild_and_never_touches_a_claimed_one()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        var user = await seed.UserAsync([]);
        var unclaimed = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);
        var claimed = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], owner: user);
        var deleted = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], deleted: true);

        Assert.Equal(PrebuildDeleteOutcome.DeleteRecorded, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, unclaimed));
        Assert.Equal(PrebuildDeleteOutcome.DeleteRecorded, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, unclaimed));
        Assert.Equal(PrebuildDeleteOutcome.Claimed, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, claimed));
        Assert.Equal(PrebuildDeleteOutcome.Gone, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, deleted));
        Assert.Equal(PrebuildDeleteOutcome.Gone, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, Guid.NewGuid()));

        var builds = await seed.QueryAsync<(Guid Workspace, int Number, string Transition, Guid? Preset, string Job)>(
            """
            SELECT b.workspace_id, b.build_number, b.transition, b.template_version_preset_id, j.job_status
            FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE b.workspace_id = ANY(@ids) ORDER BY b.workspace_id, b.build_number
            """,
            new { ids = new[] { unclaimed, claimed } });
        Assert.Equal([(1, "start"), (2, "delete")], builds.Where(b => b.Workspace == unclaimed).Select(b => (b.Number, b.Transition)));
        Assert.Equal((preset, "pending"), builds.Single(b => b.Workspace == unclaimed && b.Number == 2) is var d ? (d.Preset!.Value, d.Job) : default);
        Assert.Single(builds, b => b.Workspace == claimed);

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Lifecycle.Workflows.Prebuilds.PrebuildOptions.Default);
        Assert.DoesNotContain(read.Snapshot.Running, r => r.Id == unclaimed);
        Assert.Equal(1, read.Snapshot.InProgress.Single(r => r.PresetId == preset).Count);
    }

    [Fact]
    public async Task Cancel_pending_cancels_only_unpicked_initial_starts_of_a_non_active_version_and_deletes_their_instances()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 2);
        var user = await seed.UserAsync([]);
        var pending = await seed.InstanceAsync(preset, [new("start", Job.Pending)], instanceStatus: "pending_create");
        var pickedUp = await seed.InstanceAsync(preset, [new("start", Job.Pending, PickedUp: true)], instanceStatus: "pending_create");
        var running = await seed.InstanceAsync(preset, [new("start", Job.Running)], instanceStatus: "creating");
        var second = await seed.InstanceAsync(preset, [new("start", Job.Succeeded), new("start", Job.Pending)]);
        var users = await seed.InstanceAsync(preset, [new("start", Job.Pending)], owner: user);
        var deleting = await seed.InstanceAsync(preset, [new("start", Job.Succeeded), new("delete", Job.Pending)]);
        var activePreset = await seed.PresetAsync(desired: 1, name: "still-active", versionId: await seed.VersionAsync());
        var activePending = await seed.InstanceAsync(activePreset, [new("start", Job.Pending)], instanceStatus: "pending_create");

        var canceled = await PendingPrebuildCancellation.CancelAsync(database.DataSource, preset);
        var again = await PendingPrebuildCancellation.CancelAsync(database.DataSource, preset);
        var activeCanceled = await PendingPrebuildCancellation.CancelAsync(database.DataSource, activePreset);

        Assert.Equal([pending], canceled);
        Assert.Empty(again);
        Assert.Empty(activeCanceled);
        var state = await seed.QueryAsync<(bool Deleted, string Status, string FirstJob, string LatestTransition, string LatestJob, string? Worker)>(
            """
            SELECT w.deleted, w.instance_status, fj.job_status, lb.transition, lj.job_status, lj.worker_id
            FROM workspaces w
            JOIN workspace_builds fb ON fb.workspace_id = w.id AND fb.build_number = 1
            JOIN provisioner_jobs fj ON fj.id = fb.job_id
            JOIN LATERAL (SELECT * FROM workspace_builds b WHERE b.workspace_id = w.id ORDER BY b.build_number DESC LIMIT 1) lb ON true
            JOIN provisioner_jobs lj ON lj.id = lb.job_id
            WHERE w.id = @pending
            """,
            new { pending });
        Assert.Equal((true, "deleted", "canceled", "delete", "succeeded", (string?)null), state.Single());
        var untouched = new[] { pickedUp, running, second, users, deleting, activePending };
        Assert.Equal(0, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspaces WHERE id = ANY(@untouched) AND deleted", new { untouched }));
        Assert.Equal(0, await seed.ScalarAsync<int>(
            "SELECT count(*)::int FROM provisioner_jobs j JOIN workspace_builds b ON b.job_id = j.id WHERE b.workspace_id = ANY(@untouched) AND j.canceled_at IS NOT NULL",
            new { untouched }));
    }

    [Fact]
    public async Task Hard_limit_marks_once_and_notifies_each_template_admin_exactly_once_per_episode()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        var admin1 = await seed.UserAsync(["template-admin"]);
        var admin2 = await seed.UserAsync(["template-admin", "auditor"]);
        await seed.UserAsync([]);
        await seed.UserAsync(["template-admin"], status: "suspended");
        var key = $"prebuild-hard-limited:{preset}:0";

        var first = await PresetHardLimit.MarkAsync(database.DataSource, preset, key);
        var retried = await PresetHardLimit.MarkAsync(database.DataSource, preset, key);

        Assert.Equal((true, 2), first);
        Assert.Equal((false, 0), retried);
        Assert.Equal("hard_limited", await seed.ScalarAsync<string>("SELECT prebuild_status FROM presets WHERE id = @preset", new { preset }));
        var sent = await seed.QueryAsync<Guid>(
            "SELECT recipient_id FROM notifications WHERE template = 'prebuild_hard_limited' AND dedupe_key LIKE @prefix ORDER BY recipient_id",
            new { prefix = key + ":%" });
        Assert.Equal(new[] { admin1, admin2 }.Order(), sent);

        // An operator reset starts a new episode: a decision of the old one marks nothing; the next limit notifies again, once.
        var resetAt = new DateTimeOffset(2026, 11, 23, 10, 0, 0, 123, TimeSpan.Zero);
        await seed.ExecuteAsync("UPDATE presets SET prebuild_status = 'healthy', failure_limit_reset_at = @resetAt WHERE id = @preset", new { preset, resetAt });
        Assert.Equal((false, 0), await PresetHardLimit.MarkAsync(database.DataSource, preset, key));
        Assert.Equal("healthy", await seed.ScalarAsync<string>("SELECT prebuild_status FROM presets WHERE id = @preset", new { preset }));
        var nextKey = $"prebuild-hard-limited:{preset}:{resetAt.UtcTicks}";
        Assert.Equal((true, 2), await PresetHardLimit.MarkAsync(database.DataSource, preset, nextKey));
        Assert.Equal((false, 0), await PresetHardLimit.MarkAsync(database.DataSource, preset, nextKey));
        Assert.Equal(4, await seed.ScalarAsync<int>("SELECT count(*)::int FROM notifications WHERE dedupe_key LIKE @prefix", new { prefix = $"prebuild-hard-limited:{preset}:%" }));
    }

    [Fact]
    public void Creation_keys_derive_stable_distinct_ids_and_names()
    {
        var preset = Guid.NewGuid();
        var a = new PrebuildCreationKey("run-1", preset, 0);
        Assert.Equal(a.InstanceId, new PrebuildCreationKey("run-1", preset, 0).InstanceId);
        Assert.NotEqual(a.InstanceId, new PrebuildCreationKey("run-1", preset, 1).InstanceId);
        Assert.NotEqual(a.InstanceId, new PrebuildCreationKey("run-2", preset, 0).InstanceId);
        Assert.Equal(3, new[] { a.InstanceId, a.JobId, a.BuildId }.Distinct().Count());
        Assert.Equal(8, a.InstanceId.Version);
        Assert.StartsWith("prebuild-", a.InstanceName, StringComparison.Ordinal);
    }
}
