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
using Xunit.Abstractions;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// The Instance workflow end to end on time-skipping temporal-dev, with its real activities, real PostgreSQL and the
/// scripted provider failing on demand. Timer durations are read from the recorded history.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceWorkflowTests(TemporalFixture temporal, PostgresDatabase database, ITestOutputHelper output)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan BootstrapTimeout = InstanceRuns.BootstrapTimeout;

    private InstanceSeed seed = null!;

    public async Task InitializeAsync() => seed = await InstanceSeed.CreateAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Create_fails_twice_then_succeeds_becomes_ready_on_the_signal_and_is_deleted()
    {
        using var scripted = ScriptedMachines.Create("CREATE_FAIL_BEFORE_ID=2");

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

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

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

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

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

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

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

        Assert.Equal([1, 2, 4, 8, 16], run.Timers.Where(t => t != BootstrapTimeout).Select(t => t.TotalSeconds));
        Assert.Equal(6, scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal)));
        Assert.Empty(run.Activities.Refusals());
        Assert.True((await seed.ReadAsync(run.Instance.Id)).Deleted);
        Assert.Empty(scripted.Machines());
    }

    [Fact]
    public async Task A_force_delete_with_a_provider_that_always_fails_tries_once_and_ends_deleted()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=-1");

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s, force: true));

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

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(
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

    [Theory]
    [InlineData("create-ready-delete", "")]
    [InlineData("create-retried-twice", "CREATE_FAIL_BEFORE_ID=2")]
    [InlineData("delete-backed-off-five-times", "DELETE_FAIL=5")]
    public async Task A_whole_life_stays_under_100_history_events(string path, string settings)
    {
        using var scripted = ScriptedMachines.Create(settings);

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

        output.WriteLine($"{path}: {run.LifetimeEvents} events in {run.Histories.Count} run(s): {string.Join(", ", run.Histories.Select(h => h.Events.Count))}");
        Assert.All(run.Histories, h => Assert.True(h.Events.Count < 100, $"{path}: a run has {h.Events.Count} events"));
        if (path != "delete-backed-off-five-times")
        {
            Assert.Single(run.Histories);
            Assert.True(run.LifetimeEvents < 100, $"{path}: {run.LifetimeEvents} events");
        }
        Assert.True(run.Outcome.EverReady);
        Assert.Empty(scripted.Machines());

        // Every state write is a local activity: a marker in the history, never a scheduled activity.
        var events = run.Histories.SelectMany(h => h.Events).ToList();
        Assert.Equal(run.Activities.Transitions.Count, events.Count(e => e.MarkerRecordedEventAttributes is not null));
        Assert.DoesNotContain(events, e => e.ActivityTaskScheduledEventAttributes?.ActivityType.Name == "InstanceTransition");
        if (path == "create-ready-delete")
            await HistoryFiles.RecordIfAskedAsync("instance-create-ready-delete", run.Histories[0]);
    }

    [Fact]
    public async Task A_row_deleted_under_the_workflow_refuses_the_ready_write_and_the_machine_is_removed_with_no_further_write()
    {
        using var scripted = ScriptedMachines.Create();

        // Once the machine runs, something else marks the row deleted (a canceled prebuild); then the agent calls back.
        var run = await RunAsync(scripted, s => new DrivenInstanceActivities(s.Activities)
        {
            AfterTransition = async (t, r) =>
            {
                if (r.Applied && t.To == InstanceStatus.Running && !t.Ready)
                {
                    await MarkDeletedAsync(s.Instance.Id);
                    await s.Handle.SignalAsync(wf => wf.ReadyAsync());
                }
            },
        });

        var name = run.Instance.Name;
        Assert.Equal(["pending_create->creating", "creating->running"], run.Activities.AppliedMoves());
        var refusal = Assert.Single(run.Activities.Refusals());
        Assert.Contains("deleted", refusal, StringComparison.Ordinal);
        Assert.Single(run.Activities.Transitions, t => t.Result.Refusal is not null);
        Assert.Equal([$"GetInstance:{name}", "CreateInstance", $"DeleteInstance:sp-{name}"], scripted.Commands());
        Assert.Empty(scripted.Machines());
        Assert.False(run.Outcome.EverReady);
        Assert.Contains("store refused running", run.Outcome.LastFault, StringComparison.Ordinal);
        var stored = await seed.ReadAsync(run.Instance.Id);
        Assert.Equal("deleted", stored.InstanceStatus);
        Assert.Null(stored.ReadyAt);
    }

    [Fact]
    public async Task A_row_moved_to_pending_force_delete_under_the_workflow_is_force_deleted_once_and_ends_deleted()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=-1");

        // An operator forces the delete in the database, without a signal, while the machine bootstraps.
        var run = await RunAsync(scripted, s => new DrivenInstanceActivities(s.Activities)
        {
            AfterTransition = async (t, r) =>
            {
                if (r.Applied && t.To == InstanceStatus.Running && !t.Ready)
                {
                    await seed.SetStatusAsync(s.Instance.Id, "pending_force_delete");
                    await s.Handle.SignalAsync(wf => wf.ReadyAsync());
                }
            },
        });

        Assert.Equal(
            ["pending_create->creating", "creating->running", "pending_force_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves());
        Assert.Single(run.Activities.Refusals());
        Assert.Single(scripted.Commands(), c => c.StartsWith("DeleteInstance", StringComparison.Ordinal));
        Assert.False(run.Outcome.EverReady);
        var stored = await seed.ReadAsync(run.Instance.Id);
        Assert.True(stored.Deleted);
        Assert.Contains("force delete ignored a provider error", stored.ProviderFault, StringComparison.Ordinal);
    }

    private async Task MarkDeletedAsync(Guid id)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE workspaces SET instance_status = 'deleted', deleted = true WHERE id = $1";
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync();
    }

    private Task<FinishedRun> RunAsync(ScriptedMachines scripted, Func<Scenario, DrivenInstanceActivities> drive) =>
        InstanceRuns.RunAsync(temporal, database.DataSource, seed, scripted, drive);
}
