using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The global pause flag (its own database: the setting is global).</summary>
public sealed class ReconciliationPauseSnapshotTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Paused_setting_reaches_the_snapshot_and_every_decision_is_empty()
    {
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 3);
        Assert.False((await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default)).Snapshot.ReconciliationPaused);

        await seed.ExecuteAsync("UPDATE global_settings SET reconciliation_paused = true");
        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default);

        Assert.True(read.Snapshot.ReconciliationPaused);
        Assert.Empty(PresetReconciliation.DecideAll(read.Snapshot, read.ReadAt, PrebuildOptions.Default).Single(d => d.PresetId == preset).Actions);
    }
}
