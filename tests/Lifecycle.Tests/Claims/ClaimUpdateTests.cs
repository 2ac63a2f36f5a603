using System.Runtime.Versioning;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Temporalio.Client;
using Temporalio.Exceptions;
using Xunit;

namespace Lifecycle.Tests.Claims;

/// <summary>
/// The Instance workflow's <c>claim</c> update on time-skipping temporal-dev with a real worker, the real claim
/// activity and real PostgreSQL: what a claim changes, what the validator refuses (without a trace in the history),
/// and that of two concurrent claims exactly one wins.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClaimUpdateTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ClaimKit kit = null!;

    public async Task InitializeAsync() => kit = await ClaimKit.CreateAsync(temporal.Client, database.DataSource, temporal.NewTaskQueue());

    public Task DisposeAsync()
    {
        kit.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public Task A_ready_prebuild_is_claimed_in_one_transaction_and_the_workflow_knows_its_owner() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            var owner = await kit.UserAsync();
            var before = await kit.RowAsync(prebuild.Id);

            var claimed = await kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(
                new ClaimRequest(owner, "my-ws", prebuild.PresetId, "CRON_TZ=Europe/Berlin 30 9 * * 1-5", TimeSpan.FromMinutes(90.5))));

            Assert.Equal(owner, claimed.OwnerId);
            Assert.Equal("my-ws", claimed.Name);
            var row = await kit.RowAsync(prebuild.Id);
            Assert.Equal(SystemUsers.PrebuildsUserId, before.OwnerId);
            Assert.Equal(owner, row.OwnerId);
            Assert.Equal("my-ws", row.Name);
            Assert.Equal("CRON_TZ=Europe/Berlin 30 9 * * 1-5", row.AutostartSchedule);
            Assert.Equal(TimeSpan.FromMinutes(90), row.Ttl);
            Assert.NotNull(row.NextStartAt);
            Assert.True(row.NextStartAt > row.LastUsedAt, $"next start {row.NextStartAt} must follow the claim at {row.LastUsedAt}");
            Assert.True(row.LastUsedAt > before.LastUsedAt);
            Assert.Null(row.DormantAt);
            Assert.Equal(1, row.ClaimAudits);
            Assert.Equal(1, row.ClaimEvents);
            var view = await kit.Handle(prebuild.Id).QueryAsync(wf => wf.Claimed());
            Assert.Equal(owner, view?.OwnerId);
            // The claimed prebuild is the owner's workspace now: the workflow runs the lifecycle rules for it.
            var state = await kit.Handle(prebuild.Id).QueryAsync(wf => wf.State());
            Assert.Equal((InstancePhase.Workspace, (Guid?)owner), (state.Phase, state.OwnerId));
        });

    [Fact]
    public Task A_prebuild_not_yet_ready_is_rejected_by_the_validator_with_no_events_written() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync(makeReady: false);
            var owner = await kit.UserAsync();
            var events = await kit.EventCountAsync(prebuild.Id);

            var refused = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() =>
                kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(new ClaimRequest(owner, "early"))));

            var failure = Assert.IsType<ApplicationFailureException>(refused.InnerException);
            Assert.Equal(ClaimFailures.NotClaimable, failure.ErrorType);
            Assert.Contains("not ready", failure.Message, StringComparison.Ordinal);
            Assert.Equal(events, await kit.EventCountAsync(prebuild.Id));
            Assert.Equal(SystemUsers.PrebuildsUserId, (await kit.RowAsync(prebuild.Id)).OwnerId);
        });

    [Fact]
    public Task An_already_claimed_prebuild_is_rejected_by_the_validator_with_no_events_written() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            var first = await kit.UserAsync();
            var second = await kit.UserAsync();
            await kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(new ClaimRequest(first, "mine")));
            var events = await kit.EventCountAsync(prebuild.Id);

            var refused = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() =>
                kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(new ClaimRequest(second, "theirs"))));

            var failure = Assert.IsType<ApplicationFailureException>(refused.InnerException);
            Assert.Equal(ClaimFailures.NotClaimable, failure.ErrorType);
            Assert.Contains($"already claimed by {first}", failure.Message, StringComparison.Ordinal);
            Assert.Equal(events, await kit.EventCountAsync(prebuild.Id));
            var row = await kit.RowAsync(prebuild.Id);
            Assert.Equal((first, "mine", 1L), (row.OwnerId, row.Name, row.ClaimAudits));
        });

    [Fact]
    public Task Of_two_concurrent_claims_of_one_prebuild_exactly_one_succeeds() =>
        kit.Worker.ExecuteAsync(async () =>
        {
            var prebuild = await kit.PrebuildAsync();
            var users = new[] { await kit.UserAsync(), await kit.UserAsync() };

            var attempts = users.Select(async (user, i) =>
            {
                try
                {
                    return (User: user, Claimed: (ClaimedWorkspace?)await kit.Handle(prebuild.Id).ExecuteUpdateAsync(wf => wf.ClaimAsync(new ClaimRequest(user, $"race-{i}"))));
                }
                catch (WorkflowUpdateFailedException e) when (e.InnerException is ApplicationFailureException { ErrorType: ClaimFailures.NotClaimable or ClaimFailures.AlreadyClaimed })
                {
                    return (User: user, Claimed: (ClaimedWorkspace?)null);
                }
            });
            var results = await Task.WhenAll(attempts);

            var winner = Assert.Single(results, r => r.Claimed is not null);
            var row = await kit.RowAsync(prebuild.Id);
            Assert.Equal(winner.User, row.OwnerId);
            Assert.Equal(1, row.ClaimAudits);
            Assert.Equal(1, row.ClaimEvents);
        });
}
