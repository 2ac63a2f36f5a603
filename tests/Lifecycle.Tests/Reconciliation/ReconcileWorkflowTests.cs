using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Exceptions;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// ReconcileAll and ReconcilePreset on temporal-dev in time-skipping mode, with the real Instance workflow, its
/// activities and a scripted GARM provider over real PostgreSQL. Every test makes its own template and presets and
/// asserts on those only (a later test's pass also reconciles an earlier test's presets); the pause test restores the
/// global setting. Instances wait for their agents on bootstrap timers, so results are awaited with automatic time
/// skipping off: a skip while every instance idles would time them all out before the test plays their callbacks.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileWorkflowTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Preset_goes_from_zero_to_three_ready_and_a_pass_with_nothing_to_do_starts_no_child()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 3);

        await kit.RunAsync(async () =>
        {
            var (first, firstResult) = await kit.PassAsync();
            Assert.Contains(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(first));
            Assert.Equal(3, (await kit.PresetResultAsync(preset)).Created);
            Assert.Equal(0, firstResult.Failed);
            var instances = await kit.LiveInstancesAsync(seed, preset);
            Assert.Equal(3, instances.Count);
            await kit.MakeReadyAsync(seed, instances);

            var (second, _) = await kit.PassAsync();

            Assert.DoesNotContain(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(second));
            Assert.Equal(instances, await kit.LiveInstancesAsync(seed, preset));
            Assert.Equal(3, (await kit.MachinesOfAsync(seed, preset)).Count);
            await ReconcileWorkflowKit.RecordHistoryAsync(first, "reconcile-all-create");
            await ReconcileWorkflowKit.RecordHistoryAsync(second, "reconcile-all-nothing-to-do");
            await ReconcileWorkflowKit.RecordHistoryAsync(temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(preset)), "reconcile-preset-create-three");
        });
    }

    [Fact]
    public async Task Scaling_down_to_one_deletes_the_oldest_prebuilds()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 3);

        await kit.RunAsync(async () =>
        {
            await kit.PassAsync();
            var instances = await kit.LiveInstancesAsync(seed, preset);
            await kit.MakeReadyAsync(seed, instances);
            // Give them distinct ages: the newest is the one to keep.
            for (var i = 0; i < instances.Count; i++)
                await seed.ExecuteAsync("UPDATE workspaces SET created_at = now() - make_interval(mins => @age) WHERE id = @id", new { id = instances[i], age = 30 - (i * 10) });
            await seed.ExecuteAsync("UPDATE presets SET desired_instances = 1 WHERE id = @preset", new { preset });

            var (pass, _) = await kit.PassAsync();

            var result = await kit.PresetResultAsync(preset);
            await ReconcileWorkflowKit.RecordHistoryAsync(pass, "reconcile-all-scale-down");
            await ReconcileWorkflowKit.RecordHistoryAsync(temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(preset)), "reconcile-preset-scale-down");
            Assert.Equal((0, 2), (result.Created, result.DeleteRequested));
            foreach (var oldest in instances.Take(2))
            {
                var outcome = await temporal.Client.GetWorkflowHandle<InstanceWorkflow, InstanceOutcome>(WorkflowIds.Instance(oldest)).GetResultAsync();
                Assert.Equal(oldest, outcome.InstanceId);
            }
            Assert.Equal([instances[2]], await kit.LiveInstancesAsync(seed, preset));
            Assert.Equal([await seed.ScalarAsync<string>("SELECT instance_name FROM workspaces WHERE id = @id", new { id = instances[2] })], await kit.MachinesOfAsync(seed, preset));
        });
    }

    [Fact]
    public async Task Pause_stops_all_work()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 2);
        await seed.ExecuteAsync("UPDATE global_settings SET reconciliation_paused = true");
        try
        {
            await kit.RunAsync(async () =>
            {
                var (pass, result) = await kit.PassAsync();

                Assert.True(result.Paused);
                Assert.Empty(await ReconcileWorkflowKit.ChildrenStartedAsync(pass));
                Assert.Empty(await kit.LiveInstancesAsync(seed, preset));
                await Assert.ThrowsAsync<RpcException>(() => temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(preset)).DescribeAsync());
                await ReconcileWorkflowKit.RecordHistoryAsync(pass, "reconcile-all-paused");
            });
        }
        finally
        {
            await seed.ExecuteAsync("UPDATE global_settings SET reconciliation_paused = false");
        }
    }

    [Fact]
    public async Task A_new_version_replaces_every_instance()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var oldPreset = await seed.PresetAsync(desired: 2);

        await kit.RunAsync(async () =>
        {
            await kit.PassAsync();
            var old = await kit.LiveInstancesAsync(seed, oldPreset);
            await kit.MakeReadyAsync(seed, old);
            var newPreset = await seed.PresetAsync(desired: 2, versionId: await seed.VersionAsync());

            await kit.PassAsync();

            Assert.Equal(2, (await kit.PresetResultAsync(oldPreset)).DeleteRequested);
            Assert.Equal(2, (await kit.PresetResultAsync(newPreset)).Created);
            foreach (var id in old)
                await temporal.Client.GetWorkflowHandle<InstanceWorkflow, InstanceOutcome>(WorkflowIds.Instance(id)).GetResultAsync();
            Assert.Empty(await kit.LiveInstancesAsync(seed, oldPreset));
            Assert.Equal(2, (await kit.LiveInstancesAsync(seed, newPreset)).Count);
        });
    }

    [Fact]
    public async Task Repeated_failures_reach_the_hard_limit_once_with_one_notification_per_admin_and_a_reset_resumes()
    {
        // Every create fails before the provider assigns an id; one attempt per instance, no backoff between passes.
        using var kit = ReconcileWorkflowKit.Create(temporal, database, "CREATE_FAIL_BEFORE_ID=1000");
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 1);
        var admins = new[] { await seed.UserAsync(["template-admin"]), await seed.UserAsync(["template-admin"]) };
        var input = new ReconcileAllInput(PrebuildOptions.Default with { BackoffInterval = TimeSpan.Zero, FailureHardLimit = 3 });

        await kit.RunAsync(async () =>
        {
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                await kit.PassAsync(input);
                Assert.Equal(1, (await kit.PresetResultAsync(preset)).Created);
                await ReconcileWorkflowKit.WaitForFailedAttemptsAsync(seed, preset, attempt);
            }

            var (limitPass, _) = await kit.PassAsync(input);
            var limited = await kit.PresetResultAsync(preset);
            var (laterPass, _) = await kit.PassAsync(input);

            Assert.Equal((true, 2, 0), (limited.MarkedHardLimited, limited.NotificationsEnqueued, limited.Created));
            Assert.Contains(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(limitPass));
            Assert.DoesNotContain(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(laterPass));
            Assert.Equal("hard_limited", await seed.ScalarAsync<string>("SELECT prebuild_status FROM presets WHERE id = @preset", new { preset }));
            Assert.Equal(admins.Order(), await seed.QueryAsync<Guid>(
                "SELECT recipient_id FROM notifications WHERE template = 'prebuild_hard_limited' AND @preset = ANY(targets) ORDER BY recipient_id",
                new { preset }));
            Assert.Equal(3, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspaces WHERE preset_id = @preset", new { preset }));

            await seed.ExecuteAsync("UPDATE presets SET prebuild_status = 'healthy', failure_limit_reset_at = now() WHERE id = @preset", new { preset });
            await kit.PassAsync(input);

            Assert.Equal(1, (await kit.PresetResultAsync(preset)).Created);
        });
    }

    [Fact]
    public async Task A_preset_still_owned_by_an_earlier_passes_child_is_skipped_not_failed()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 1);
        // An earlier pass's child that has not finished: its task queue has no worker, so it stays running.
        var stuck = await temporal.Client.StartWorkflowAsync(
            (ReconcilePresetWorkflow w) => w.RunAsync(new ReconcilePresetInput("earlier-pass", new PresetDecision { PresetId = preset, State = new PresetState() })),
            new(WorkflowIds.Preset(preset), temporal.NewTaskQueue("no-worker")));
        try
        {
            await kit.RunAsync(async () =>
            {
                var (_, result) = await kit.PassAsync();

                Assert.True(result.AlreadyRunning >= 1);
                Assert.DoesNotContain(preset, result.FailedPresetIds);
                Assert.Empty(await kit.LiveInstancesAsync(seed, preset));
            });
        }
        finally
        {
            await stuck.TerminateAsync("test done");
        }
    }

    [Fact]
    public async Task A_failed_creation_backs_the_preset_off_without_a_child_until_the_backoff_ends()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database, "CREATE_FAIL_BEFORE_ID=1000");
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 1);
        var backingOff = new ReconcileAllInput(PrebuildOptions.Default with { BackoffInterval = TimeSpan.FromHours(1) });
        var noBackoff = new ReconcileAllInput(PrebuildOptions.Default with { BackoffInterval = TimeSpan.Zero });

        await kit.RunAsync(async () =>
        {
            await kit.PassAsync(backingOff);
            await ReconcileWorkflowKit.WaitForFailedAttemptsAsync(seed, preset, 1);

            var (backedOff, _) = await kit.PassAsync(backingOff);
            var (resumed, _) = await kit.PassAsync(noBackoff);

            Assert.DoesNotContain(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(backedOff));
            Assert.Contains(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(resumed));
            Assert.Equal(1, (await kit.PresetResultAsync(preset)).Created);
        });
    }

    [Fact]
    public async Task Children_run_in_parallel_within_the_bound()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var presets = new List<Guid>();
        for (var i = 0; i < 5; i++)
            presets.Add(await seed.PresetAsync(desired: 1, name: $"bounded-{i}"));

        await kit.RunAsync(async () =>
        {
            var (pass, result) = await kit.PassAsync(new ReconcileAllInput(MaxConcurrentPresets: 2));

            var history = await pass.FetchHistoryAsync();
            var pending = 0;
            var most = 0;
            foreach (var e in history.Events)
            {
                if (e.EventType == Temporalio.Api.Enums.V1.EventType.StartChildWorkflowExecutionInitiated)
                    most = Math.Max(most, ++pending);
                else if (e.EventType is Temporalio.Api.Enums.V1.EventType.ChildWorkflowExecutionCompleted
                    or Temporalio.Api.Enums.V1.EventType.ChildWorkflowExecutionFailed
                    or Temporalio.Api.Enums.V1.EventType.StartChildWorkflowExecutionFailed)
                    pending--;
            }
            Assert.Equal(2, most);
            Assert.Equal(0, result.Failed);
            foreach (var preset in presets)
                Assert.Single(await kit.LiveInstancesAsync(seed, preset));
        });
    }
}
