using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Instances;
using Xunit;

namespace Lifecycle.Tests.Instances;

/// <summary>The <c>InstanceTransition</c> activity against real PostgreSQL: the table, idempotency, and the build rows.</summary>
public sealed class InstanceTransitionActivityTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private InstanceSeed seed = null!;
    private InstanceActivities activities = null!;

    public async Task InitializeAsync()
    {
        seed = await InstanceSeed.CreateAsync(database.DataSource);
        activities = InstanceActivityKit.Activities(database.DataSource, []);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_pair_of_states_is_written_exactly_when_the_transition_table_allows_it()
    {
        var mismatches = new List<string>();
        foreach (var from in Enum.GetValues<InstanceStatus>())
        {
            foreach (var to in Enum.GetValues<InstanceStatus>().Where(s => s != from))
            {
                var instance = await seed.InstanceAsync(status: from.ToText());
                var result = await RunAsync(new InstanceTransition(instance.Id, to));
                var stored = (await seed.ReadAsync(instance.Id)).InstanceStatus;
                var allowed = InstanceTransitions.AllowedFrom(from).Contains(to);
                var expectedStatus = allowed ? to.ToText() : from.ToText();
                if (result.Applied != allowed || result.From != from || stored != expectedStatus || (result.Refusal is null) != allowed)
                    mismatches.Add($"{from.ToText()} -> {to.ToText()}: applied {result.Applied}, from {result.From}, stored {stored}, refusal {result.Refusal}");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public async Task A_refused_move_names_both_states_and_changes_nothing()
    {
        var instance = await seed.InstanceAsync(status: "deleted");

        var result = await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Running, ProviderId: "x-1"));

        Assert.False(result.Applied);
        Assert.Equal(InstanceStatus.Deleted, result.From);
        Assert.Contains("deleted", result.Refusal, StringComparison.Ordinal);
        Assert.Contains("running", result.Refusal, StringComparison.Ordinal);
        Assert.Contains(instance.Id.ToString(), result.Refusal, StringComparison.Ordinal);
        var stored = await seed.ReadAsync(instance.Id);
        Assert.Equal("deleted", stored.InstanceStatus);
        Assert.Null(stored.ProviderId);
        Assert.Empty(await seed.AuditAsync(instance.Id));
    }

    [Fact]
    public async Task A_repeated_move_is_a_no_op_that_reports_the_current_state()
    {
        var instance = await seed.InstanceAsync();
        var creating = new InstanceTransition(instance.Id, InstanceStatus.Creating, CreateAttempt: 1);

        var first = await RunAsync(creating);
        var again = await RunAsync(creating);

        Assert.Equal(new InstanceTransitionResult(true, InstanceStatus.PendingCreate), first);
        Assert.Equal(new InstanceTransitionResult(false, InstanceStatus.Creating), again);
        Assert.Equal(["pending_create->creating"], await seed.AuditAsync(instance.Id));
        Assert.Single(await seed.BuildsAsync(instance.Id));
    }

    [Fact]
    public async Task A_forced_write_skips_the_table_but_nothing_leaves_deleted()
    {
        var retried = await seed.InstanceAsync(status: "error");
        var gone = await seed.InstanceAsync(status: "deleted");

        var retry = await RunAsync(new InstanceTransition(retried.Id, InstanceStatus.PendingCreate, CreateAttempt: 2, Forced: true));
        var revive = await RunAsync(new InstanceTransition(gone.Id, InstanceStatus.Running, Forced: true));

        Assert.True(retry.Applied);
        Assert.Equal(InstanceStatus.Error, retry.From);
        Assert.Equal(2, (await seed.ReadAsync(retried.Id)).CreateAttempts);
        Assert.False(revive.Applied);
        Assert.Contains("deleted is final", revive.Refusal, StringComparison.Ordinal);
        Assert.Equal("deleted", (await seed.ReadAsync(gone.Id)).InstanceStatus);
    }

    [Fact]
    public async Task An_instance_missing_from_the_store_is_reported_not_thrown()
    {
        var missing = Guid.NewGuid();

        var result = await RunAsync(new InstanceTransition(missing, InstanceStatus.Creating));

        Assert.False(result.Applied);
        Assert.Null(result.From);
        Assert.Contains(missing.ToString(), result.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whole_life_writes_one_start_and_one_delete_build_whose_jobs_follow_the_states_and_replays_write_nothing()
    {
        var instance = await seed.InstanceAsync();
        var life = new (InstanceTransition Step, string Builds)[]
        {
            (new(instance.Id, InstanceStatus.Creating, CreateAttempt: 1), "#1 start running"),
            (new(instance.Id, InstanceStatus.Running, ProviderId: "sp-1", CreateAttempt: 1), "#1 start succeeded"),
            (new(instance.Id, InstanceStatus.Running, ProviderId: "sp-1", Ready: true), "#1 start succeeded"),
            (new(instance.Id, InstanceStatus.PendingDelete), "#1 start succeeded | #2 delete pending"),
            (new(instance.Id, InstanceStatus.Deleting), "#1 start succeeded | #2 delete running"),
            (new(instance.Id, InstanceStatus.PendingDelete, Fault: "delete refused", Forced: true), "#1 start succeeded | #2 delete running"),
            (new(instance.Id, InstanceStatus.Deleting), "#1 start succeeded | #2 delete running"),
            (new(instance.Id, InstanceStatus.Deleted), "#1 start succeeded | #2 delete succeeded"),
        };

        foreach (var (step, builds) in life)
        {
            var applied = await RunAsync(step);
            var replayed = await RunAsync(step);
            Assert.True(applied.Applied, $"{step.To.ToText()} was not applied: {applied.Refusal}");
            Assert.False(replayed.Applied, $"the replay of {step.To.ToText()} was applied again");
            Assert.Equal(builds, string.Join(" | ", await seed.BuildsAsync(instance.Id)));
        }

        var stored = await seed.ReadAsync(instance.Id);
        Assert.True(stored.Deleted);
        Assert.Equal("sp-1", stored.ProviderId);
        Assert.NotNull(stored.ReadyAt);
        Assert.Equal("delete refused", stored.ProviderFault);
        var start = (await seed.BuildsAsync(instance.Id))[0];
        Assert.Equal(seed.VersionId, start.TemplateVersionId);
        Assert.Equal(seed.PresetId, start.TemplateVersionPresetId);
        Assert.True(start.IsPrebuild);
        Assert.Equal("instance:activity-test", start.WorkerId);
        Assert.Contains("\"cpu\": \"2\"", start.Parameters, StringComparison.Ordinal);
        Assert.Equal(
            ["pending_create->creating", "creating->running", "running->running", "running->pending_delete", "pending_delete->deleting",
             "deleting->pending_delete", "pending_delete->deleting", "deleting->deleted"],
            await seed.AuditAsync(instance.Id));
    }

    [Fact]
    public async Task A_create_given_up_fails_the_start_job_with_the_fault_but_a_retried_error_leaves_it_running()
    {
        var retried = await seed.InstanceAsync();
        var givenUp = await seed.InstanceAsync();

        await RunAsync(new InstanceTransition(retried.Id, InstanceStatus.Creating, CreateAttempt: 1));
        await RunAsync(new InstanceTransition(retried.Id, InstanceStatus.Error, Fault: "quota exceeded", CreateAttempt: 1));
        await RunAsync(new InstanceTransition(givenUp.Id, InstanceStatus.Creating, CreateAttempt: 5));
        await RunAsync(new InstanceTransition(givenUp.Id, InstanceStatus.Error, Fault: "quota exceeded", CreateAttempt: 5, CreateGivenUp: true));

        Assert.Equal("#1 start running", string.Join(" | ", await seed.BuildsAsync(retried.Id)));
        var failed = Assert.Single(await seed.BuildsAsync(givenUp.Id));
        Assert.Equal("failed", failed.JobStatus);
        Assert.Equal("quota exceeded", failed.Error);
        Assert.Equal(5, (await seed.ReadAsync(givenUp.Id)).CreateAttempts);
    }

    [Fact]
    public async Task A_bootstrap_timeout_turns_the_succeeded_start_into_a_failure()
    {
        var instance = await seed.InstanceAsync();
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Creating, CreateAttempt: 1));
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Running, ProviderId: "sp-2", CreateAttempt: 1));

        var timedOut = await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Error, Fault: "not ready within 00:20:00", CreateGivenUp: true, Forced: true));

        Assert.True(timedOut.Applied);
        var start = Assert.Single(await seed.BuildsAsync(instance.Id));
        Assert.Equal("failed", start.JobStatus);
        Assert.Equal("not ready within 00:20:00", start.Error);
    }

    [Fact]
    public async Task A_delete_during_a_create_retry_cancels_the_start_so_it_never_counts_as_a_failure()
    {
        var instance = await seed.InstanceAsync();
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Creating, CreateAttempt: 1));
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Error, Fault: "quota exceeded", CreateAttempt: 1));

        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.PendingDelete));

        Assert.Equal("#1 start canceled | #2 delete pending", string.Join(" | ", await seed.BuildsAsync(instance.Id)));
    }

    [Fact]
    public async Task A_retry_clears_the_provider_id_of_the_machine_that_was_cleaned_up()
    {
        var instance = await seed.InstanceAsync();
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Creating, CreateAttempt: 1));
        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.Error, Fault: "boom", ProviderId: "sp-3", CreateAttempt: 1));
        Assert.Equal("sp-3", (await seed.ReadAsync(instance.Id)).ProviderId);

        await RunAsync(new InstanceTransition(instance.Id, InstanceStatus.PendingCreate, CreateAttempt: 2, Forced: true));

        var stored = await seed.ReadAsync(instance.Id);
        Assert.Null(stored.ProviderId);
        Assert.Equal("boom", stored.ProviderFault);
        Assert.Equal(2, stored.CreateAttempts);
    }

    private Task<InstanceTransitionResult> RunAsync(InstanceTransition transition) =>
        InstanceActivityKit.Environment().RunAsync(() => activities.TransitionAsync(transition));
}
