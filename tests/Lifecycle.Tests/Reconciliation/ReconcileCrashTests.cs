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
/// A worker stopped in the middle of a pass: the rows of a create are committed, the workflows not yet started, and
/// a fresh worker (empty workflow cache: it replays both histories) finishes the pass. Nothing may exist twice.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileCrashTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_worker_stopped_after_the_insert_leaves_nothing_duplicated_once_a_fresh_worker_finishes_the_pass()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 3);
        var real = new ReconcileActivities(database.DataSource, temporal.Client, kit.Metrics, new ReconcileSettings
        {
            CreateRetry = new CreateRetryPolicy { MaxAttempts = 1 },
        });
        var stalled = new StallAfterInsert(real);
        // A queue of its own: the kit's worker is registered on the kit's queue, and one queue takes one worker per client.
        var taskQueue = temporal.NewTaskQueue("crash");
        TemporalWorker Worker(object reconcileActivities) => new(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<ReconcileAllWorkflow>()
                .AddWorkflow<ReconcilePresetWorkflow>()
                .AddWorkflow<InstanceWorkflow>()
                .AddAllActivities(reconcileActivities.GetType(), reconcileActivities)
                .AddAllActivities(InstanceActivityKit.Activities(database.DataSource, [kit.Machines.Definition])));
        var doomed = Worker(stalled);

        await temporal.Env.WithAutoTimeSkippingDisabledAsync(async () =>
        {
            using var stop = new CancellationTokenSource();
            var running = doomed.ExecuteAsync(stop.Token);
            var pass = await temporal.Client.StartWorkflowAsync(
                (ReconcileAllWorkflow w) => w.RunAsync(new ReconcileAllInput()),
                new WorkflowOptions(temporal.NewWorkflowId("reconcile-all"), taskQueue));
            await stalled.Inserted.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(3, await RowsAsync(seed, preset));
            Assert.Empty(kit.Machines.Machines());

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
            doomed.Dispose();

            using var fresh = Worker(real);
            await fresh.ExecuteAsync(async () =>
            {
                var result = await pass.GetResultAsync();
                Assert.Equal(0, result.Failed);
                Assert.Equal(3, (await kit.PresetResultAsync(preset)).Created);
                // The insert ran again on the fresh worker (its second attempt), and inserted nothing new.
                var presetHistory = await temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(preset)).FetchHistoryAsync();
                Assert.Contains(presetHistory.Events, e => e.ActivityTaskStartedEventAttributes is { Attempt: >= 2 });

                var instances = await kit.LiveInstancesAsync(seed, preset);
                Assert.Equal(3, instances.Count);
                Assert.Equal(3, await RowsAsync(seed, preset));
                Assert.Equal(3, await seed.ScalarAsync<int>(
                    "SELECT count(*)::int FROM workspace_builds b JOIN workspaces w ON w.id = b.workspace_id WHERE w.preset_id = @preset", new { preset }));
                await kit.MakeReadyAsync(seed, instances);
                Assert.Equal(3, (await kit.MachinesOfAsync(seed, preset)).Count);
                foreach (var id in instances)
                {
                    var history = await temporal.Client.GetWorkflowHandle(WorkflowIds.Instance(id)).FetchHistoryAsync();
                    Assert.Single(history.Events, e => e.WorkflowExecutionStartedEventAttributes is not null);
                }

                // The next pass sees the preset satisfied: no child, no row.
                var next = await temporal.Client.StartWorkflowAsync(
                    (ReconcileAllWorkflow w) => w.RunAsync(new ReconcileAllInput()),
                    new WorkflowOptions(temporal.NewWorkflowId("reconcile-all"), taskQueue));
                await next.GetResultAsync();
                Assert.DoesNotContain(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(next));
                Assert.Equal(3, await RowsAsync(seed, preset));
            });
        });
    }

    private static Task<int> RowsAsync(PrebuildSeed seed, Guid preset) =>
        seed.ScalarAsync<int>("SELECT count(*)::int FROM workspaces WHERE preset_id = @preset", new { preset });

    /// <summary>The real activities, except that the insert, once committed, never returns until the worker stops.</summary>
    private sealed class StallAfterInsert(ReconcileActivities real) : IReconcileActivities
    {
        public TaskCompletionSource Inserted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        [Activity(ReconcileActivityNames.ReadSnapshot)]
        public Task<PrebuildPass> ReadSnapshotAsync(PrebuildSnapshotRequest request) => real.ReadSnapshotAsync(request);

        [Activity(ReconcileActivityNames.InsertPrebuilds)]
        public async Task<InsertPrebuildsResult> InsertPrebuildsAsync(InsertPrebuildsRequest request)
        {
            await real.InsertPrebuildsAsync(request);
            Inserted.TrySetResult();
            await Task.Delay(Timeout.Infinite, ActivityExecutionContext.Current.CancellationToken);
            throw new InvalidOperationException("unreachable: the delay only ends by cancellation");
        }

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
