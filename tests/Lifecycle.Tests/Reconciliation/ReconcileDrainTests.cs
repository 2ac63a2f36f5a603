using System.Runtime.Versioning;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Tests.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// Passes over presets that must drain or cannot be served, on temporal-dev with the real workflows and activities:
/// an inactive version's pending initial builds are canceled (B26), a soft-deleted template's prebuilds are deleted
/// (B9/B19), and a preset gone since the snapshot fails alone while the pass goes on for every other preset (B6).
/// Every test terminates the Instance workflows it leaves running.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileDrainTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    private const string JobOfFirstBuildSql = """
        SELECT j.job_status FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
        WHERE b.workspace_id = @id AND b.build_number = 1
        """;

    [Fact]
    public async Task An_inactive_versions_pending_initial_builds_are_canceled_and_its_running_prebuilds_deleted()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var oldPreset = await seed.PresetAsync(desired: 1);

        await kit.RunAsync(async () =>
        {
            try
            {
                await kit.PassAsync();
                var running = await kit.LiveInstancesAsync(seed, oldPreset);
                await kit.MakeReadyAsync(seed, running);
                // Two initial builds queued on the old version that no worker has picked up (B12), and one a worker has.
                var pending = new[]
                {
                    await seed.InstanceAsync(oldPreset, [new("start", Job.Pending)], instanceStatus: "pending_create"),
                    await seed.InstanceAsync(oldPreset, [new("start", Job.Pending)], instanceStatus: "pending_create"),
                };
                var pickedUp = await seed.InstanceAsync(oldPreset, [new("start", Job.Pending, PickedUp: true)], instanceStatus: "pending_create");
                var newPreset = await seed.PresetAsync(desired: 1, versionId: await seed.VersionAsync());

                var (pass, result) = await kit.PassAsync();

                Assert.Equal(0, result.Failed);
                var drained = await kit.PresetResultAsync(oldPreset);
                Assert.Equal((2, 1, 0), (drained.Canceled, drained.DeleteRequested, drained.Created));
                foreach (var id in pending)
                {
                    Assert.Equal("canceled", await seed.ScalarAsync<string>(JobOfFirstBuildSql, new { id }));
                    Assert.True(await seed.ScalarAsync<bool>("SELECT deleted FROM workspaces WHERE id = @id", new { id }));
                }
                Assert.Equal("pending", await seed.ScalarAsync<string>(JobOfFirstBuildSql, new { id = pickedUp }));
                await temporal.Client.GetWorkflowHandle<InstanceWorkflow, InstanceOutcome>(WorkflowIds.Instance(running.Single())).GetResultAsync();
                Assert.Equal([pickedUp], await kit.LiveInstancesAsync(seed, oldPreset));
                Assert.Equal(1, (await kit.PresetResultAsync(newPreset)).Created);
                await ReconcileWorkflowKit.RecordHistoryAsync(temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(oldPreset)), "reconcile-preset-cancel-pending");

                // Drained: the next pass has nothing to cancel for the old preset (the picked-up build is a worker's now).
                var (next, _) = await kit.PassAsync();
                Assert.DoesNotContain(WorkflowIds.Preset(oldPreset), await ReconcileWorkflowKit.ChildrenStartedAsync(next));
                Assert.Contains(WorkflowIds.Preset(oldPreset), await ReconcileWorkflowKit.ChildrenStartedAsync(pass));
            }
            finally
            {
                await kit.TerminateInstancesAsync(seed);
            }
        });
    }

    [Fact]
    public async Task A_soft_deleted_templates_prebuilds_are_deleted_and_none_created_while_other_presets_go_on()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var doomed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var doomedPreset = await doomed.PresetAsync(desired: 2);
        var other = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");

        await kit.RunAsync(async () =>
        {
            try
            {
                await kit.PassAsync();
                var prebuilds = await kit.LiveInstancesAsync(doomed, doomedPreset);
                await kit.MakeReadyAsync(doomed, prebuilds);
                await doomed.ExecuteAsync("UPDATE templates SET deleted = true WHERE id = @TemplateId", new { doomed.TemplateId });
                var otherPreset = await other.PresetAsync(desired: 1);

                var (_, result) = await kit.PassAsync();

                Assert.Equal(0, result.Failed);
                var drained = await kit.PresetResultAsync(doomedPreset);
                Assert.Equal((0, 2), (drained.Created, drained.DeleteRequested));
                foreach (var id in prebuilds)
                    await temporal.Client.GetWorkflowHandle<InstanceWorkflow, InstanceOutcome>(WorkflowIds.Instance(id)).GetResultAsync();
                Assert.Empty(await kit.LiveInstancesAsync(doomed, doomedPreset));
                Assert.Empty(await kit.MachinesOfAsync(doomed, doomedPreset));
                Assert.Equal(1, (await kit.PresetResultAsync(otherPreset)).Created);
                Assert.Single(await kit.LiveInstancesAsync(other, otherPreset));
            }
            finally
            {
                await kit.TerminateInstancesAsync(doomed);
                await kit.TerminateInstancesAsync(other);
            }
        });
    }

    [Fact]
    public async Task A_preset_deleted_since_the_snapshot_fails_alone_and_the_pass_goes_on_for_every_other_preset()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var vanishing = await seed.PresetAsync(desired: 1, name: "vanishing");
        var healthy = await seed.PresetAsync(desired: 2, name: "healthy");
        var real = new ReconcileActivities(database.DataSource, temporal.Client, kit.Metrics, new ReconcileSettings
        {
            CreateRetry = new CreateRetryPolicy { MaxAttempts = 1 },
        });
        // The preset is removed between the snapshot and its child's insert, as an operator's delete would.
        var hooked = new AfterSnapshot(real, () => seed.ExecuteAsync("DELETE FROM presets WHERE id = @vanishing", new { vanishing }));
        var taskQueue = temporal.NewTaskQueue("vanishing");
        using var worker = new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<ReconcileAllWorkflow>()
                .AddWorkflow<ReconcilePresetWorkflow>()
                .AddWorkflow<InstanceWorkflow>()
                .AddAllActivities(hooked)
                .AddAllActivities(InstanceActivityKit.Activities(database.DataSource, [kit.Machines.Definition])));

        await temporal.Env.WithAutoTimeSkippingDisabledAsync(() => worker.ExecuteAsync(async () =>
        {
            try
            {
                var handle = await temporal.Client.StartWorkflowAsync(
                    (ReconcileAllWorkflow w) => w.RunAsync(new ReconcileAllInput()),
                    new WorkflowOptions(temporal.NewWorkflowId("reconcile-all"), taskQueue));
                var result = await handle.GetResultAsync();

                Assert.Equal([vanishing], result.FailedPresetIds);
                Assert.Equal(result.PresetsWithWork - 1, result.Reconciled);
                var failure = await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(
                    () => temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(vanishing)).GetResultAsync());
                Assert.Contains($"preset {vanishing}: not found", failure.InnerException?.Message, StringComparison.Ordinal);
                Assert.Equal(2, (await kit.PresetResultAsync(healthy)).Created);
                Assert.Equal(2, (await kit.LiveInstancesAsync(seed, healthy)).Count);
            }
            finally
            {
                await kit.TerminateInstancesAsync(seed);
            }
        }));
    }

    /// <summary>The real activities, with an action run after each snapshot read.</summary>
    private sealed class AfterSnapshot(ReconcileActivities real, Func<Task> action) : IReconcileActivities
    {
        [Activity(ReconcileActivityNames.ReadSnapshot)]
        public async Task<PrebuildPass> ReadSnapshotAsync(PrebuildSnapshotRequest request)
        {
            var pass = await real.ReadSnapshotAsync(request);
            await action();
            return pass;
        }

        [Activity(ReconcileActivityNames.InsertPrebuilds)]
        public Task<InsertPrebuildsResult> InsertPrebuildsAsync(InsertPrebuildsRequest request) => real.InsertPrebuildsAsync(request);

        [Activity(ReconcileActivityNames.StartInstances)]
        public Task<StartInstancesResult> StartInstancesAsync(StartInstancesRequest request) => real.StartInstancesAsync(request);

        [Activity(ReconcileActivityNames.DeletePrebuilds)]
        public Task<DeletePrebuildsResult> DeletePrebuildsAsync(DeletePrebuildsRequest request) => real.DeletePrebuildsAsync(request);

        [Activity(ReconcileActivityNames.CancelPending)]
        public Task<CancelPendingResult> CancelPendingAsync(CancelPendingRequest request) => real.CancelPendingAsync(request);

        [Activity(ReconcileActivityNames.MarkHardLimited)]
        public Task<MarkHardLimitedResult> MarkHardLimitedAsync(MarkHardLimitedRequest request) => real.MarkHardLimitedAsync(request);

        [Activity(ReconcileActivityNames.ReportPass)]
        public Task ReportPassAsync(ReconcilePassReport report) => real.ReportPassAsync(report);
    }
}
