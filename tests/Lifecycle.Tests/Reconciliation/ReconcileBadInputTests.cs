using System.Runtime.Versioning;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Prebuilds;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// A pass over presets whose stored schedules cannot be used still reconciles every preset (spec B6). The API refuses
/// such input where it enters (<c>TemplateVersionsApiTests</c>); a row written to the database directly reaches the
/// reconciler, which falls back to the base count and says why in the preset's state (<c>desired_problem</c>).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileBadInputTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_preset_with_an_invalid_cron_and_time_zone_falls_back_to_its_base_count_and_stops_no_other_preset()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var broken = await seed.PresetAsync(desired: 1, name: "broken-schedule");
        var healthy = await seed.PresetAsync(desired: 2, name: "healthy");
        await seed.ExecuteAsync("UPDATE presets SET scheduling_timezone = 'Mars/Olympus_Mons' WHERE id = @broken", new { broken });
        await seed.ExecuteAsync(
            "INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (@id, @broken, 'every full moon', 5)",
            new { id = Guid.NewGuid(), broken });

        await kit.RunAsync(async () =>
        {
            var (pass, result) = await kit.PassAsync();

            Assert.Equal(0, result.Failed);
            var children = await ReconcileWorkflowKit.ChildrenStartedAsync(pass);
            Assert.Contains(WorkflowIds.Preset(broken), children);
            Assert.Contains(WorkflowIds.Preset(healthy), children);
            Assert.Single(await kit.LiveInstancesAsync(seed, broken));
            Assert.Equal(2, (await kit.LiveInstancesAsync(seed, healthy)).Count);
            var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, PrebuildOptions.Default, broken);
            var state = PresetReconciliation.CalculateState(read.Snapshot.ForPreset(broken), read.ReadAt, PrebuildOptions.Default);
            Assert.Equal(1, state.Desired);
            Assert.Contains("Mars/Olympus_Mons", state.DesiredProblem, StringComparison.Ordinal);
            await kit.TerminateInstancesAsync(seed);
        });
    }
}
