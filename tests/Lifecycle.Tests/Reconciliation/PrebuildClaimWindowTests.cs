using System.Text.Json;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// Spec B16's claims_/misses_ windows as the snapshot reads them from real PostgreSQL: one aggregate statement for every
/// preset with a target expression, each window holding the events at or after <c>read − w</c>.
/// </summary>
public sealed class PrebuildClaimWindowTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly PrebuildOptions Options = PrebuildOptions.Default;

    [Fact]
    public async Task Each_window_counts_the_claims_and_misses_on_its_side_of_the_boundary()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await ExpressionPresetAsync(seed, "claims_10m + misses_120m", "small");
        var insertedAt = await seed.ScalarAsync<DateTimeOffset>("SELECT now()");

        // "Inside" is 30 s within the boundary (the read comes later than this insert, but not 30 s later); "outside"
        // is 1 ms beyond it as seen from the insert, so further beyond it from the read.
        var inside = TimeSpan.FromSeconds(30);
        var outside = TimeSpan.FromMilliseconds(1);
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(5) + inside);    // 5..120
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(5) - outside);   // 10..120
        await EventAsync(seed, preset, "claim_missed", insertedAt - TimeSpan.FromMinutes(10) + inside);      // 10..120
        await EventAsync(seed, preset, "claim_missed", insertedAt - TimeSpan.FromMinutes(10) - outside);     // 30..120
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(30) + inside);   // 30..120
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(30) - outside);  // 60..120
        await EventAsync(seed, preset, "claim_missed", insertedAt - TimeSpan.FromMinutes(60) + inside);      // 60..120
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(60) - outside);  // 120
        await EventAsync(seed, preset, "claim_missed", insertedAt - TimeSpan.FromMinutes(120) + inside);     // 120
        await EventAsync(seed, preset, "claim_succeeded", insertedAt - TimeSpan.FromMinutes(120) - outside); // none
        await EventAsync(seed, preset, "claim_missed", insertedAt - TimeSpan.FromDays(3));                  // none

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var windows = read.Snapshot.ClaimWindows.Single(w => w.PresetId == preset);

        Assert.Equal(
            new PresetClaimWindows
            {
                PresetId = preset,
                Claims5m = 1,
                Claims10m = 2,
                Claims30m = 3,
                Claims60m = 4,
                Claims120m = 5,
                Misses5m = 0,
                Misses10m = 1,
                Misses30m = 2,
                Misses60m = 3,
                Misses120m = 4,
            },
            windows);

        // The decision reads them: claims_10m + misses_120m = 2 + 4.
        var decision = PresetReconciliation.Decide(read.Snapshot.ForPreset(preset), read.ReadAt, Options);
        Assert.Equal(6, decision.State.Desired);
        Assert.Equal(DesiredSource.Expression, decision.State.DesiredSource);
        Assert.Equal(6, decision.Actions.Single(a => a.Kind == PrebuildActionKind.Create).Create);
    }

    [Fact]
    public async Task Only_presets_with_an_expression_and_recent_events_get_a_row_and_the_one_preset_form_reads_the_same()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var withExpression = await ExpressionPresetAsync(seed, "claims_5m", "with");
        var quiet = await ExpressionPresetAsync(seed, "claims_5m + 1", "quiet");
        var plain = await seed.PresetAsync(desired: 1, name: "plain");
        var now = await seed.ScalarAsync<DateTimeOffset>("SELECT now()");
        foreach (var preset in new[] { withExpression, plain })
        {
            await EventAsync(seed, preset, "claim_succeeded", now.AddMinutes(-1));
            await EventAsync(seed, preset, "claim_missed", now.AddMinutes(-1));
        }

        var fleet = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);
        var one = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options, withExpression);

        Assert.Equal(
            (1, 1),
            fleet.Snapshot.ClaimWindows.Where(w => w.PresetId == withExpression).Select(w => (w.Claims5m, w.Misses5m)).Single());
        Assert.DoesNotContain(fleet.Snapshot.ClaimWindows, w => w.PresetId == plain || w.PresetId == quiet);
        Assert.Null(fleet.Snapshot.ForPreset(quiet).ClaimWindows);
        Assert.Equal(1, PresetReconciliation.CalculateState(fleet.Snapshot.ForPreset(quiet), fleet.ReadAt, Options).Desired);
        Assert.Equal(fleet.Snapshot.ForPreset(withExpression).ClaimWindows, one.Snapshot.ForPreset(withExpression).ClaimWindows);
        Assert.Equal([withExpression], one.Snapshot.ClaimWindows.Select(w => w.PresetId));
        Assert.Equal("claims_5m", fleet.Snapshot.Presets.Single(p => p.Id == withExpression).TargetExpression);
        Assert.Null(fleet.Snapshot.Presets.Single(p => p.Id == plain).TargetExpression);
    }

    [Fact]
    public async Task The_snapshot_is_still_one_batch_of_a_constant_number_of_statements()
    {
        // The windows are one more statement in the same batch, whatever the number of presets with an expression.
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        for (var i = 0; i < 20; i++)
        {
            var preset = await ExpressionPresetAsync(seed, "claims_5m", $"p{i}");
            await EventAsync(seed, preset, "claim_succeeded", DateTimeOffset.UtcNow.AddMinutes(-1));
        }

        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);

        Assert.Equal(10, PrebuildSnapshotReader.StatementCount);
        Assert.True(read.Snapshot.ClaimWindows.Count(w => read.Snapshot.Presets.Any(p => p.Id == w.PresetId && p.TemplateId == seed.TemplateId)) == 20);
    }

    [Fact]
    public async Task The_snapshot_handed_to_the_workflow_keeps_the_windows_of_presets_with_work_only()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var busy = await ExpressionPresetAsync(seed, "claims_5m + 1", "busy");
        var idle = await ExpressionPresetAsync(seed, "claims_5m + 1", "idle");
        foreach (var preset in new[] { busy, idle })
            await EventAsync(seed, preset, "claim_succeeded", DateTimeOffset.UtcNow.AddMinutes(-1));
        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, Options);

        var trimmed = PrebuildSnapshotTrim.To(read.Snapshot, new HashSet<Guid> { busy });

        Assert.Equal([busy], trimmed.ClaimWindows.Select(w => w.PresetId));
        // The workflow decides again from the trimmed snapshot: the same decision (compared as the JSON that travels).
        var full = PresetReconciliation.Decide(read.Snapshot.ForPreset(busy), read.ReadAt, Options);
        var again = PresetReconciliation.Decide(trimmed.ForPreset(busy), read.ReadAt, Options);
        Assert.Equal(2, again.State.Desired);
        Assert.Equal(JsonSerializer.Serialize(full), JsonSerializer.Serialize(again));
    }

    private static async Task<Guid> ExpressionPresetAsync(PrebuildSeed seed, string expression, string name)
    {
        var preset = await seed.PresetAsync(desired: 1, name: name);
        await seed.ExecuteAsync(
            "UPDATE presets SET target_expression = @expression, scheduling_timezone = 'UTC' WHERE id = @preset",
            new { preset, expression });
        return preset;
    }

    private static Task EventAsync(PrebuildSeed seed, Guid preset, string kind, DateTimeOffset at) =>
        seed.ExecuteAsync("INSERT INTO prebuild_events (preset_id, kind, created_at) VALUES (@preset, @kind, @at)", new { preset, kind, at });
}
