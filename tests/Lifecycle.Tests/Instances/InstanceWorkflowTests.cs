using System.Runtime.Versioning;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// The Instance workflow end to end on time-skipping temporal-dev, with its real activities, real PostgreSQL and the
/// scripted provider failing on demand. Timer durations are read from the recorded history.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceWorkflowTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan BootstrapTimeout = InstanceWorkflowInput.DefaultBootstrapTimeout;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private InstanceSeed seed = null!;

    public async Task InitializeAsync() => seed = await InstanceSeed.CreateAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Create_fails_twice_then_succeeds_becomes_ready_on_the_signal_and_is_deleted()
    {
        using var scripted = ScriptedMachines.Create("CREATE_FAIL_BEFORE_ID=2");

        var run = await RunAsync(scripted, s => ReadyThenDelete(s));

        var name = run.Instance.Name;
        Assert.Equal(
            [$"GetInstance:{name}", "CreateInstance", $"DeleteInstance:{name}",
             $"GetInstance:{name}", "CreateInstance", $"DeleteInstance:{name}",
             $"GetInstance:{name}", "CreateInstance", $"DeleteInstance:sp-{name}"],
            scripted.Commands());
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)], run.Timers.Where(t => t != BootstrapTimeout));
        Assert.Equal(
            ["pending_create->creating", "creating->error", "error->pending_create",
             "pending_create->creating", "creating->error", "error->pending_create",
             "pending_create->creating", "creating->running", "running->running(ready)",
             "running->pending_delete", "pending_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves());
        Assert.Empty(run.Activities.Refusals());
        Assert.Equal(new InstanceOutcome(run.Instance.Id, EverReady: true, CreateAttempts: 3, LastFault: null), run.Outcome);
        var stored = await seed.ReadAsync(run.Instance.Id);
        Assert.True(stored.Deleted);
        Assert.NotNull(stored.ReadyAt);
        Assert.Equal(3, stored.CreateAttempts);
        Assert.Equal("#1 start succeeded | #2 delete succeeded", string.Join(" | ", await seed.BuildsAsync(run.Instance.Id)));
        Assert.Empty(scripted.Machines());
        await HistoryFiles.RecordIfAskedAsync("instance-create-retry-ready-delete", run.Histories[^1]);
    }

    [Fact]
    public async Task A_create_that_returns_an_error_status_machine_is_cleaned_up_by_its_provider_id_before_the_retry()
    {
        using var scripted = ScriptedMachines.Create("CREATE_ERROR_STATUS=1");

        var run = await RunAsync(scripted, s => ReadyThenDelete(s));

        var name = run.Instance.Name;
        Assert.Equal(
            [$"GetInstance:{name}", "CreateInstance", $"DeleteInstance:sp-{name}", $"GetInstance:{name}", "CreateInstance", $"DeleteInstance:sp-{name}"],
            scripted.Commands());
        Assert.Equal(2, run.Outcome.CreateAttempts);
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_create_that_fails_before_any_id_is_cleaned_up_by_name_and_the_fault_recorded()
    {
        using var scripted = ScriptedMachines.Create("CREATE_FAIL_BEFORE_ID=1\nCREATE_FAIL_MESSAGE='no capacity in zone a'");

        var run = await RunAsync(scripted, s => ReadyThenDelete(s));

        var name = run.Instance.Name;
        Assert.Equal([$"GetInstance:{name}", "CreateInstance", $"DeleteInstance:{name}", $"GetInstance:{name}", "CreateInstance"], scripted.Commands().Take(5));
        var error = Assert.Single(run.Activities.Transitions, t => t.Transition.To == InstanceStatus.Error).Transition;
        Assert.Contains("no capacity in zone a", error.Fault, StringComparison.Ordinal);
        Assert.Null(error.ProviderId);
    }

    [Fact]
    public async Task Creates_that_never_succeed_are_given_up_after_five_attempts_and_count_as_one_failed_build()
    {
        using var scripted = ScriptedMachines.Create("CREATE_FAIL_BEFORE_ID=100");

        var run = await RunAsync(scripted, s => new DrivenInstanceActivities(s.Activities));

        Assert.Equal(5, scripted.Commands().Count(c => c == "CreateInstance"));
        Assert.Equal([5, 10, 20, 40], run.Timers.Select(t => t.TotalSeconds));
        Assert.False(run.Outcome.EverReady);
        Assert.Equal(5, run.Outcome.CreateAttempts);
        var builds = await seed.BuildsAsync(run.Instance.Id);
        Assert.Equal("#1 start failed | #2 delete succeeded", string.Join(" | ", builds));
        Assert.Contains("quota exceeded", builds[0].Error, StringComparison.Ordinal);
        Assert.True((await seed.ReadAsync(run.Instance.Id)).Deleted);
    }

    [Fact]
    public async Task An_instance_not_ready_within_the_bootstrap_timeout_is_failed_and_deleted()
    {
        using var scripted = ScriptedMachines.Create();

        var run = await RunAsync(scripted, s => new DrivenInstanceActivities(s.Activities));

        Assert.Contains(BootstrapTimeout, run.Timers);
        Assert.False(run.Outcome.EverReady);
        Assert.Contains("bootstrap timeout", run.Outcome.LastFault, StringComparison.Ordinal);
        Assert.Equal(
            ["pending_create->creating", "creating->running", "running->error", "error->pending_delete", "pending_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves());
        var start = (await seed.BuildsAsync(run.Instance.Id))[0];
        Assert.Equal("failed", start.JobStatus);
        Assert.Contains("bootstrap timeout", start.Error, StringComparison.Ordinal);
        Assert.Empty(scripted.Machines());
        await HistoryFiles.RecordIfAskedAsync("instance-bootstrap-timeout", run.Histories[^1]);
    }

    [Fact]
    public async Task A_delete_that_fails_five_times_waits_1_2_4_8_16_seconds_then_succeeds()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=5");

        var run = await RunAsync(scripted, s => ReadyThenDelete(s));

        Assert.Equal([1, 2, 4, 8, 16], run.Timers.Where(t => t != BootstrapTimeout).Select(t => t.TotalSeconds));
        Assert.Equal(6, scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal)));
        Assert.Empty(run.Activities.Refusals());
        Assert.True((await seed.ReadAsync(run.Instance.Id)).Deleted);
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_delete_that_never_succeeds_settles_at_5_min_and_continue_as_new_carries_the_state()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=-1");
        var failures = 0;

        // After the twelfth failed delete an operator forces it, so the test ends.
        var run = await RunAsync(scripted, s => ReadyThenDelete(s, after: async (t, r) =>
        {
            if (t.To == InstanceStatus.PendingDelete && t.Forced && r.Applied && Interlocked.Increment(ref failures) == 12)
                await s.Handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(Force: true, Reason: "operator")));
        }));

        double[] expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300];
        var waits = run.Timers.Where(t => t != BootstrapTimeout).Select(t => t.TotalSeconds).ToList();
        Assert.Equal(expected, waits.Take(expected.Length));
        Assert.All(waits.Skip(expected.Length), w => Assert.Equal(300, w));
        Assert.True(run.Histories.Count >= 2, $"expected a continue-as-new, got {run.Histories.Count} run(s)");
        Assert.All(run.Histories, h => Assert.True(h.Events.Count <= InstanceWorkflow.HistoryLengthLimit + 30, $"a run has {h.Events.Count} events"));

        // Readiness and the attempt count were set in the first run only: the last run knew them from the carried state.
        Assert.True(run.Outcome.EverReady);
        Assert.Equal(1, run.Outcome.CreateAttempts);
        Assert.Equal(13, scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal)));
        Assert.Empty(run.Activities.Refusals());
        Assert.True((await seed.ReadAsync(run.Instance.Id)).Deleted);
        await HistoryFiles.RecordIfAskedAsync("instance-delete-backoff-continued-as-new", run.Histories[0]);
    }

    [Fact]
    public async Task A_force_delete_with_a_provider_that_always_fails_tries_once_and_ends_deleted()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=-1");

        var run = await RunAsync(scripted, s => ReadyThenDelete(s, force: true));

        Assert.Single(scripted.Commands(), c => c.StartsWith("DeleteInstance", StringComparison.Ordinal));
        Assert.Equal(
            ["running->pending_force_delete", "pending_force_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves().TakeLast(3));
        var stored = await seed.ReadAsync(run.Instance.Id);
        Assert.True(stored.Deleted);
        Assert.Contains("force delete ignored a provider error", stored.ProviderFault, StringComparison.Ordinal);
        Assert.Contains("delete refused", stored.ProviderFault, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delete_during_creating_waits_for_the_create_to_settle_then_deletes_the_machine()
    {
        using var scripted = ScriptedMachines.Create();

        var run = await RunAsync(scripted, s => new DrivenInstanceActivities(s.Activities)
        {
            BeforeCreate = _ => s.Handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest())),
        });

        var name = run.Instance.Name;
        Assert.Equal([$"GetInstance:{name}", "CreateInstance", $"DeleteInstance:sp-{name}"], scripted.Commands());
        Assert.Equal(
            ["pending_create->creating", "creating->running", "running->pending_delete", "pending_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves());
        Assert.False(run.Outcome.EverReady);
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_worker_lost_between_the_providers_create_and_the_db_write_leaves_exactly_one_machine()
    {
        using var scripted = ScriptedMachines.Create();

        var run = await RunAsync(scripted, s => ReadyThenDelete(
            s,
            afterCreate: (_, _) => ActivityExecutionContext.Current.Info.Attempt == 1
                ? throw new InvalidOperationException("worker lost after the provider made the machine")
                : Task.CompletedTask));

        var name = run.Instance.Name;
        Assert.Equal([$"GetInstance:{name}", "CreateInstance", $"GetInstance:{name}", $"DeleteInstance:sp-{name}"], scripted.Commands());
        Assert.Equal(1, run.Outcome.CreateAttempts);
        Assert.True(run.Outcome.EverReady);
        Assert.Empty(scripted.Machines());
    }

    private static DrivenInstanceActivities ReadyThenDelete(
        Scenario s,
        bool force = false,
        Func<InstanceTransition, InstanceTransitionResult, Task>? after = null,
        Func<MachineCreateRequest, MachineCreateResult, Task>? afterCreate = null) =>
        new(s.Activities)
        {
            AfterCreate = afterCreate,
            AfterTransition = async (t, r) =>
            {
                // The agent calls back once the machine runs; once it is ready, the API asks for its deletion.
                if (r.Applied && t.To == InstanceStatus.Running && !t.Ready)
                    await s.Handle.SignalAsync(wf => wf.ReadyAsync());
                else if (r.Applied && t.Ready)
                    await s.Handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(Force: force)));
                if (after is not null)
                    await after(t, r);
            },
        };

    private async Task<FinishedRun> RunAsync(ScriptedMachines scripted, Func<Scenario, DrivenInstanceActivities> drive)
    {
        var instance = await seed.InstanceAsync();
        var workflowId = $"instance:{instance.Id}";
        var scenario = new Scenario(
            instance,
            InstanceActivityKit.Activities(database.DataSource, [scripted.Definition]),
            temporal.Client.GetWorkflowHandle<InstanceWorkflow>(workflowId));
        var activities = drive(scenario);
        var taskQueue = temporal.NewTaskQueue();
        using var worker = new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue).AddAllActivities(activities).AddWorkflow<InstanceWorkflow>());
        return await worker.ExecuteAsync(async () =>
        {
            var input = new InstanceWorkflowInput(instance.Id, instance.Name, instance.ProviderName, instance.PresetId, instance.TemplateId, BootstrapTimeout, new CreateRetryPolicy());
            var handle = await temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new(workflowId, taskQueue));
            var outcome = await handle.GetResultAsync().WaitAsync(Limit);
            var histories = await RunHistoriesAsync(workflowId, handle.ResultRunId!);
            var timers = histories
                .SelectMany(h => h.Events)
                .Where(e => e.TimerStartedEventAttributes is not null)
                .Select(e => e.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan())
                .ToList();
            return new FinishedRun(instance, activities, outcome, histories, timers);
        });
    }

    /// <summary>Every run of the workflow, first to last, following continue-as-new.</summary>
    private async Task<IReadOnlyList<WorkflowHistory>> RunHistoriesAsync(string workflowId, string firstRunId)
    {
        var histories = new List<WorkflowHistory>();
        for (string? runId = firstRunId; !string.IsNullOrEmpty(runId);)
        {
            var history = await temporal.Client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync();
            histories.Add(history);
            runId = history.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes?.NewExecutionRunId;
        }
        return histories;
    }

    /// <summary>What a test's hooks need: the instance, its real activities, and the workflow to signal.</summary>
    private sealed record Scenario(SeededInstance Instance, InstanceActivities Activities, WorkflowHandle<InstanceWorkflow> Handle);

    private sealed record FinishedRun(
        SeededInstance Instance,
        DrivenInstanceActivities Activities,
        InstanceOutcome Outcome,
        IReadOnlyList<WorkflowHistory> Histories,
        IReadOnlyList<TimeSpan> Timers);
}
