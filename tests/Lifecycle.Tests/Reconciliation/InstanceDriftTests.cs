using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Tests.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Client;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// The drift sweep on time-skipping temporal-dev with real PostgreSQL, real Instance workflows and the scripted GARM
/// provider, whose machines a test can lose (remove) or plant (an orphan) behind the store's back.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceDriftTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private readonly ScriptedMachines scripted = ScriptedMachines.Create();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> ready = new();
    private InstanceSeed seed = null!;

    public async Task InitializeAsync() => seed = await InstanceSeed.CreateAsync(database.DataSource);

    public Task DisposeAsync()
    {
        scripted.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_sweep_deletes_the_orphan_marks_and_replaces_the_lost_instance_leaves_the_rest_and_a_second_sweep_does_nothing()
    {
        var taskQueue = temporal.NewTaskQueue();
        using var worker = NewWorker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var kept = await StartReadyInstanceAsync(taskQueue);
            var lost = await StartReadyInstanceAsync(taskQueue);
            var pending = await seed.InstanceAsync();
            LoseMachine(lost.Name);
            var orphan = PlantMachine("lc-orphan-" + Guid.NewGuid().ToString("N")[..8], seed.PresetId);
            var foreign = PlantMachine("lc-foreign-" + Guid.NewGuid().ToString("N")[..8], Guid.NewGuid());

            var first = await SweepAsync(taskQueue);

            var repair = Assert.Single(first.Providers);
            Assert.Equal(new DriftRepairResult("scripted", OrphansDeleted: 1, OrphansSkipped: 0, LostMarked: 1, LostSkipped: 0, Faults: []), repair with { Faults = [] });
            Assert.Empty(repair.Faults);
            Assert.Empty(first.ListFaults);
            Assert.Contains($"DeleteInstance:sp-{orphan}", scripted.Commands());

            // The lost instance's workflow was told to delete: it ends, and its row is deleted with the reason kept.
            var lostOutcome = await temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(lost.Id)).GetResultAsync<InstanceOutcome>().WaitAsync(Limit);
            Assert.True(lostOutcome.EverReady);
            var lostRow = await seed.ReadAsync(lost.Id);
            Assert.True(lostRow.Deleted);
            Assert.Contains("drift sweep: provider \"scripted\" no longer lists machine", lostRow.ProviderFault, StringComparison.Ordinal);

            Assert.Equal(new[] { kept.Name, foreign }.Order(StringComparer.Ordinal), scripted.Machines().Order(StringComparer.Ordinal));
            Assert.Equal("running", (await seed.ReadAsync(kept.Id)).InstanceStatus);
            Assert.Equal("pending_create", (await seed.ReadAsync(pending.Id)).InstanceStatus);
            var keptView = await temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(kept.Id)).QueryAsync(wf => wf.State());
            Assert.Equal(InstancePhase.Ready, keptView.Phase);

            var deletesBefore = scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal));
            var second = await SweepAsync(taskQueue);

            Assert.Empty(second.Providers);
            Assert.Equal(deletesBefore, scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal)));

            await temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(kept.Id)).SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest()));
            await temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(kept.Id)).GetResultAsync<InstanceOutcome>().WaitAsync(Limit);
        });
    }

    [Fact]
    public async Task A_pool_whose_listing_fails_is_not_judged_and_a_lost_row_without_a_workflow_is_finished_by_the_sweep()
    {
        var taskQueue = temporal.NewTaskQueue();
        using var worker = NewWorker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            // A running row no workflow owns (its workflow is long gone) whose machine the provider lost.
            var orphaned = await seed.InstanceAsync();
            await seed.SetStatusAsync(orphaned.Id, "running");

            scripted.Control("EXIT_ListInstances=1");
            var failed = await SweepAsync(taskQueue);

            Assert.Empty(failed.Providers);
            Assert.Contains(failed.ListFaults, f => f.Contains($"pool {seed.PresetId}: listing failed", StringComparison.Ordinal));
            Assert.All(failed.ListFaults, f => Assert.Contains("scripted exit 1", f, StringComparison.Ordinal));
            Assert.Equal("running", (await seed.ReadAsync(orphaned.Id)).InstanceStatus);

            scripted.Control(string.Empty);
            var swept = await SweepAsync(taskQueue);

            Assert.Equal(1, Assert.Single(swept.Providers).LostMarked);
            var row = await seed.ReadAsync(orphaned.Id);
            Assert.True(row.Deleted);
            Assert.Equal("deleted", row.InstanceStatus);
        });
    }

    [Fact]
    public async Task ReconcileAll_starts_one_drift_sweep_per_window_and_none_when_the_sweep_is_off()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        await kit.RunAsync(async () =>
        {
            var every = TimeSpan.FromDays(1);
            var (first, _) = await kit.PassAsync(new ReconcileAllInput(DriftSweepEvery: every));
            var (second, _) = await kit.PassAsync(new ReconcileAllInput(DriftSweepEvery: every));
            var (off, _) = await kit.PassAsync(new ReconcileAllInput());

            var sweeps = (await ReconcileWorkflowKit.ChildrenStartedAsync(first)).Where(id => id.StartsWith("instance-drift-sweep:", StringComparison.Ordinal)).ToList();
            var sweep = Assert.Single(sweeps);
            Assert.Equal($"instance-drift-sweep:{(await first.DescribeAsync()).StartTime:yyyyMMdd}T0000", sweep);
            var secondHistory = await second.FetchHistoryAsync();
            Assert.Contains(secondHistory.Events, e => e.StartChildWorkflowExecutionFailedEventAttributes?.WorkflowId == sweep);
            Assert.DoesNotContain(secondHistory.Events, e => e.ChildWorkflowExecutionStartedEventAttributes?.WorkflowExecution.WorkflowId == sweep);
            Assert.DoesNotContain((await off.FetchHistoryAsync()).Events, e => e.StartChildWorkflowExecutionInitiatedEventAttributes?.WorkflowType.Name == "InstanceDriftSweep");
            await temporal.Client.GetWorkflowHandle(sweep).TerminateAsync("test over");
        });
    }

    public static TheoryData<string, DriftSnapshot, int, string> Plans()
    {
        var pool = Guid.Parse("00000000-0000-0000-0000-00000000000a");
        var other = Guid.Parse("00000000-0000-0000-0000-00000000000b");
        DriftRow Row(string name, InstanceStatus status, bool deleted = false, bool settled = true, Guid? preset = null) =>
            new(Guid.Empty, name, preset ?? pool, status, deleted, settled);
        DriftMachine Machine(string name, Guid? preset = null) => new(name, "sp-" + name, preset ?? pool);
        DriftSnapshot Snapshot(DriftRow[] rows, DriftMachine[] machines, Guid[]? listed = null) =>
            new("p", rows, machines, listed ?? [pool], []);
        return new()
        {
            { "in step", Snapshot([Row("a", InstanceStatus.Running)], [Machine("a")]), 10, "orphans: | lost:" },
            { "machine without a row", Snapshot([], [Machine("x")]), 10, "orphans:x | lost:" },
            { "machine of a deleted row", Snapshot([Row("x", InstanceStatus.Deleted, deleted: true)], [Machine("x")]), 10, "orphans:x | lost:" },
            { "machine of a row being created", Snapshot([Row("c", InstanceStatus.Creating)], [Machine("c")]), 10, "orphans: | lost:" },
            { "running row without a machine", Snapshot([Row("r", InstanceStatus.Running)], []), 10, "orphans: | lost:r" },
            { "running row changed within the grace", Snapshot([Row("r", InstanceStatus.Running, settled: false)], []), 10, "orphans: | lost:" },
            { "creating or deleting rows are not lost", Snapshot([Row("c", InstanceStatus.Creating), Row("d", InstanceStatus.Deleting), Row("e", InstanceStatus.Error)], []), 10, "orphans: | lost:" },
            { "pool whose listing failed", Snapshot([Row("r", InstanceStatus.Running, preset: other)], [Machine("y", other)]), 10, "orphans: | lost:" },
            { "machine listed in another pool does not keep a row", Snapshot([Row("r", InstanceStatus.Running)], [Machine("r", other)], [pool, other]), 10, "orphans: | lost:r" },
            { "bounded, in name order", Snapshot([Row("r2", InstanceStatus.Running), Row("r1", InstanceStatus.Running)], [Machine("z"), Machine("x"), Machine("y")]), 2, "orphans:x,y | lost:r1,r2" },
        };
    }

    [Theory]
    [MemberData(nameof(Plans))]
    public void The_plan_deletes_unknown_machines_and_replaces_settled_running_rows_whose_machine_is_gone(string name, DriftSnapshot snapshot, int max, string expected)
    {
        var plan = InstanceDrift.Decide(snapshot, max);
        var trimmed = InstanceDrift.Decide(InstanceDrift.Trim(snapshot), max);

        Assert.True(expected == Describe(plan), $"{name}: {Describe(plan)}");
        Assert.Equal(Describe(plan), Describe(trimmed));
    }

    private static string Describe(DriftPlan plan) =>
        $"orphans:{string.Join(",", plan.Orphans.Select(o => o.Name))} | lost:{string.Join(",", plan.Lost.Select(l => l.Name))}";

    private TemporalWorker NewWorker(string taskQueue)
    {
        var instances = InstanceActivityKit.Activities(database.DataSource, [scripted.Definition]);
        var driven = new DrivenInstanceActivities(instances)
        {
            AfterTransition = async (t, r) =>
            {
                if (r.Applied && t.To == InstanceStatus.Running && !t.Ready)
                    await temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(t.InstanceId)).SignalAsync(wf => wf.ReadyAsync());
                else if (r.Applied && t.Ready && ready.TryGetValue(t.InstanceId, out var done))
                    done.TrySetResult();
            },
        };
        var drift = new DriftActivities(
            database.DataSource,
            new ProviderCatalog([scripted.Definition], InstanceActivityKit.Options().ControllerId),
            InstanceActivityKit.Store(database.DataSource),
            temporal.Client);
        return new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<InstanceWorkflow>()
                .AddWorkflow<InstanceDriftSweepWorkflow>()
                .AddAllActivities(driven)
                .AddAllActivities(drift));
    }

    private async Task<SeededInstance> StartReadyInstanceAsync(string taskQueue)
    {
        var instance = await seed.InstanceAsync();
        var done = ready.GetOrAdd(instance.Id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var input = new InstanceWorkflowInput(instance.Id, instance.Name, instance.ProviderName, instance.PresetId, instance.TemplateId, InstanceRuns.BootstrapTimeout, new CreateRetryPolicy());
        await temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new(WorkflowIds.Instance(instance.Id), taskQueue));
        await done.Task.WaitAsync(Limit);
        return instance;
    }

    private Task<DriftSweepResult> SweepAsync(string taskQueue) =>
        temporal.Client.ExecuteWorkflowAsync(
            (InstanceDriftSweepWorkflow wf) => wf.RunAsync(new DriftSweepInput(LostGrace: TimeSpan.Zero)),
            new(temporal.NewWorkflowId(), taskQueue));

    /// <summary>The provider loses a machine (its record disappears), as a host that died would.</summary>
    private void LoseMachine(string name) => File.Delete(Path.Combine(scripted.StateDir, "instances", name));

    /// <summary>A machine the provider has under our pool that no row knows, as a create whose row was lost leaves.</summary>
    private string PlantMachine(string name, Guid pool)
    {
        Directory.CreateDirectory(Path.Combine(scripted.StateDir, "instances"));
        File.WriteAllText(Path.Combine(scripted.StateDir, "instances", name), $"sp-{name}\t{pool}\trunning\n");
        return name;
    }
}
