using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// temporal-dev in time-skipping mode told to suggest continue-as-new from the 30th event on
/// (<c>limit.historyCount.suggestContinueAsNew</c>), so an instance's ordinary life spans several runs.
/// </summary>
public sealed class ContinueAsNewSuggestedFixture : TemporalFixture
{
    /// <summary>The event count from which the server suggests continue-as-new.</summary>
    public const int SuggestAt = 30;

    protected override IReadOnlyList<string> ServerArgs => ["--dynamic-config-value", $"limit.historyCount.suggestContinueAsNew={SuggestAt}"];
}

/// <summary>
/// The Instance workflow continues as new when the server suggests it, once every handler has finished, and the next
/// run carries on from the carried state: attempts, readiness, the delete and force-delete requests, the backoff.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstanceContinueAsNewTests(ContinueAsNewSuggestedFixture temporal, PostgresDatabase database)
    : IClassFixture<ContinueAsNewSuggestedFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private InstanceSeed seed = null!;

    public async Task InitializeAsync() => seed = await InstanceSeed.CreateAsync(database.DataSource);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_life_with_retries_spans_several_runs_and_each_run_starts_from_the_previous_ones_state()
    {
        using var scripted = ScriptedMachines.Create("CREATE_FAIL_BEFORE_ID=2");

        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s));

        Assert.True(run.Histories.Count >= 2, $"expected a continue-as-new, got {run.Histories.Count} run(s)");
        Assert.All(run.Histories.SkipLast(1), h => Assert.NotNull(h.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes));
        var carries = new List<InstanceCarry>();
        foreach (var history in run.Histories.Skip(1))
            carries.Add(Assert.IsType<InstanceCarry>((await InstanceRuns.InputOfAsync(history)).Carry));

        // Attempts only grow across runs, and the last run finished what earlier runs began.
        Assert.Equal(carries.Select(c => c.CreateAttempt).Order(), carries.Select(c => c.CreateAttempt));
        Assert.Equal(
            ["pending_create->creating", "creating->error", "error->pending_create",
             "pending_create->creating", "creating->error", "error->pending_create",
             "pending_create->creating", "creating->running", "running->running(ready)",
             "running->pending_delete", "pending_delete->deleting", "deleting->deleted"],
            run.Activities.AppliedMoves());
        Assert.Equal(new InstanceOutcome(run.Instance.Id, EverReady: true, CreateAttempts: 3, LastFault: null), run.Outcome);
        Assert.Equal([5, 10], run.Timers.Where(t => t != InstanceRuns.BootstrapTimeout).Select(t => t.TotalSeconds));
        Assert.Empty(run.Activities.Refusals());
        Assert.Empty(scripted.Machines());
        Assert.Equal(3, (await seed.ReadAsync(run.Instance.Id)).CreateAttempts);
    }

    [Fact]
    public async Task A_delete_that_never_succeeds_settles_at_5_min_across_runs_and_a_force_delete_sent_to_one_run_ends_it()
    {
        using var scripted = ScriptedMachines.Create("DELETE_FAIL=-1");
        var failures = 0;

        // After the twelfth failed delete an operator forces it, so the test ends.
        var run = await RunAsync(scripted, s => InstanceRuns.ReadyThenDelete(s, after: async (t, r) =>
        {
            if (t.To == InstanceStatus.PendingDelete && t.Forced && r.Applied && Interlocked.Increment(ref failures) == 12)
                await s.Handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(Force: true, Reason: "operator")));
        }));

        double[] expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300];
        var waits = run.Timers.Where(t => t != InstanceRuns.BootstrapTimeout).Select(t => t.TotalSeconds).ToList();
        Assert.Equal(expected, waits.Take(expected.Length));
        Assert.All(waits.Skip(expected.Length), w => Assert.Equal(300, w));
        Assert.True(run.Histories.Count >= 3, $"expected continue-as-new, got {run.Histories.Count} run(s)");

        // Each continued run starts where the previous left off: deleting, asked to delete, ready once, backing off.
        foreach (var history in run.Histories.Skip(1))
        {
            var carry = Assert.IsType<InstanceCarry>((await InstanceRuns.InputOfAsync(history)).Carry);
            Assert.Equal(InstancePhase.Deleting, carry.Phase);
            Assert.True(carry.DeleteRequested);
            Assert.True(carry.EverReady);
            Assert.Equal(1, carry.CreateAttempt);
            Assert.True(carry.DeleteBackoff > TimeSpan.Zero);
            Assert.Contains("delete refused", carry.LastFault, StringComparison.Ordinal);
        }
        Assert.True(run.Outcome.EverReady);
        Assert.Equal(1, run.Outcome.CreateAttempts);
        Assert.Equal(13, scripted.Commands().Count(c => c.StartsWith("DeleteInstance", StringComparison.Ordinal)));
        Assert.Empty(run.Activities.Refusals());
        Assert.True((await seed.ReadAsync(run.Instance.Id)).Deleted);
        await HistoryFiles.RecordIfAskedAsync("instance-delete-backoff-continued-as-new", run.Histories[0]);
    }

    private Task<FinishedRun> RunAsync(ScriptedMachines scripted, Func<Scenario, DrivenInstanceActivities> drive) =>
        InstanceRuns.RunAsync(temporal, database.DataSource, seed, scripted, drive);
}
