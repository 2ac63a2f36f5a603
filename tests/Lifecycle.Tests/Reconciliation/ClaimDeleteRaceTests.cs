using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Instances;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// A user's claim racing the reconciler's delete of the same prebuild (spec B25/B30), with the real claim activity and
/// the real delete guard on real PostgreSQL: one of them wins, never both — no prebuild is both claimed and deleted.
/// </summary>
public sealed class ClaimDeleteRaceTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string LatestTransitionSql = """
        SELECT b.transition FROM workspace_builds b WHERE b.workspace_id = @id ORDER BY b.build_number DESC LIMIT 1
        """;

    [Fact]
    public async Task A_delete_recorded_first_makes_the_claim_refuse_the_prebuild()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        var user = await seed.UserAsync([]);
        var prebuild = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);

        Assert.Equal(PrebuildDeleteOutcome.DeleteRecorded, await PrebuildDeletion.RecordDeleteAsync(database.DataSource, prebuild));
        var refused = await Assert.ThrowsAsync<ApplicationFailureException>(() => ClaimAsync(prebuild, user, "mine"));

        Assert.Equal(ClaimFailures.NotClaimable, refused.ErrorType);
        Assert.Contains("being deleted", refused.Message, StringComparison.Ordinal);
        Assert.Equal(SystemUsers.PrebuildsUserId, await seed.ScalarAsync<Guid>("SELECT owner_id FROM workspaces WHERE id = @prebuild", new { prebuild }));
        Assert.Equal(0, await seed.ScalarAsync<int>("SELECT count(*)::int FROM audit_log WHERE action = 'claim' AND resource_id = @prebuild", new { prebuild }));
        Assert.Equal(0, await seed.ScalarAsync<int>("SELECT count(*)::int FROM prebuild_events WHERE preset_id = @preset", new { preset }));
    }

    [Fact]
    public async Task A_claim_committed_first_makes_the_delete_skip_the_prebuild()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1);
        var user = await seed.UserAsync([]);
        var prebuild = await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);

        var claimed = await ClaimAsync(prebuild, user, "mine");
        var outcome = await PrebuildDeletion.RecordDeleteAsync(database.DataSource, prebuild);

        Assert.Equal(user, claimed.OwnerId);
        Assert.Equal(PrebuildDeleteOutcome.Claimed, outcome);
        Assert.Equal("start", await seed.ScalarAsync<string>(LatestTransitionSql, new { id = prebuild }));
    }

    [Fact]
    public async Task Racing_claims_and_deletes_never_both_win_a_prebuild()
    {
        const int prebuilds = 40;
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: prebuilds);
        var user = await seed.UserAsync([]);
        var ids = new List<Guid>();
        for (var i = 0; i < prebuilds; i++)
            ids.Add(await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true));

        // Both sides are released together for every prebuild: each pair meets at the row lock in whichever order the
        // server grants it, so both orders occur over the run.
        var outcomes = await Task.WhenAll(ids.Select((id, i) => RaceAsync(id, user, $"ws-{i}")));

        foreach (var (id, claimWon, deleteOutcome) in outcomes)
        {
            var owner = await seed.ScalarAsync<Guid>("SELECT owner_id FROM workspaces WHERE id = @id", new { id });
            var latest = await seed.ScalarAsync<string>(LatestTransitionSql, new { id });
            var deleteWon = deleteOutcome == PrebuildDeleteOutcome.DeleteRecorded;
            Assert.True(claimWon ^ deleteWon, $"prebuild {id}: claim won {claimWon}, delete {deleteOutcome}");
            Assert.Equal(claimWon ? user : SystemUsers.PrebuildsUserId, owner);
            Assert.Equal(claimWon ? "start" : "delete", latest);
        }
        Assert.Equal(0, await seed.ScalarAsync<int>(
            $"""
            SELECT count(*)::int FROM workspaces w
            WHERE w.preset_id = @preset AND w.owner_id <> '{SystemUsers.PrebuildsUserId}'
              AND EXISTS (SELECT 1 FROM workspace_builds b WHERE b.workspace_id = w.id AND b.transition = 'delete')
            """,
            new { preset }));
        Assert.Equal(
            outcomes.Count(o => o.ClaimWon),
            await seed.ScalarAsync<int>("SELECT count(*)::int FROM prebuild_events WHERE preset_id = @preset AND kind = 'claim_succeeded'", new { preset }));
    }

    private async Task<(Guid Id, bool ClaimWon, PrebuildDeleteOutcome Delete)> RaceAsync(Guid id, Guid user, string name)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claim = Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await ClaimAsync(id, user, name);
                return true;
            }
            catch (ApplicationFailureException e) when (e.ErrorType is ClaimFailures.NotClaimable or ClaimFailures.AlreadyClaimed)
            {
                return false;
            }
        });
        var delete = Task.Run(async () =>
        {
            await start.Task;
            return await PrebuildDeletion.RecordDeleteAsync(database.DataSource, id);
        });
        start.SetResult();
        return (id, await claim, await delete);
    }

    private Task<ClaimedWorkspace> ClaimAsync(Guid instanceId, Guid owner, string name) =>
        new ActivityEnvironment().RunAsync(() => new ClaimActivities(database.DataSource)
            .ClaimPrebuildAsync(new ClaimPrebuildRequest(instanceId, new ClaimRequest(owner, name))));
}
