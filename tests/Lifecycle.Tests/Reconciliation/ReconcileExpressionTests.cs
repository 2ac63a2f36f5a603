using System.Runtime.Versioning;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Converters;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// Spec B16 through real passes: ReconcileAll and ReconcilePreset on time-skipping temporal-dev with the real Instance
/// workflow and a scripted provider over real PostgreSQL, a preset whose target expression reads its claim windows.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ReconcileExpressionTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_preset_reaches_the_count_its_expression_asks_for_and_falls_back_when_the_expression_fails()
    {
        using var kit = ReconcileWorkflowKit.Create(temporal, database);
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource, provider: "scripted");
        var preset = await seed.PresetAsync(desired: 1);
        await seed.ExecuteAsync(
            "UPDATE presets SET scheduling_timezone = 'UTC', target_expression = 'claims_5m + 1' WHERE id = @preset",
            new { preset });
        await seed.ExecuteAsync(
            "INSERT INTO prebuild_events (preset_id, kind) VALUES (@preset, 'claim_succeeded'), (@preset, 'claim_succeeded'), (@preset, 'claim_missed')",
            new { preset });

        await kit.RunAsync(async () =>
        {
            // Two claims in the last 5 minutes: claims_5m + 1 = 3, where the base count says 1.
            await kit.PassAsync();
            Assert.Equal(3, (await kit.PresetResultAsync(preset)).Created);
            var state = (await PresetInputAsync(preset)).Decision.State;
            Assert.Equal((3, DesiredSource.Expression, (string?)null), (state.Desired, state.DesiredSource, state.ExpressionError));
            var instances = await kit.LiveInstancesAsync(seed, preset);
            Assert.Equal(3, instances.Count);
            await kit.MakeReadyAsync(seed, instances);

            var (steady, _) = await kit.PassAsync();
            Assert.DoesNotContain(WorkflowIds.Preset(preset), await ReconcileWorkflowKit.ChildrenStartedAsync(steady));

            // An expression that fails when evaluated falls back to the scheduled target (the base 1): the two oldest go.
            await seed.ExecuteAsync("UPDATE presets SET target_expression = 'claims_5m / (misses_5m - 1)' WHERE id = @preset", new { preset });
            await kit.PassAsync();
            var result = await kit.PresetResultAsync(preset);
            Assert.Equal((0, 2), (result.Created, result.DeleteRequested));
            state = (await PresetInputAsync(preset)).Decision.State;
            Assert.Equal(
                (1, DesiredSource.ExpressionFallback, "target_expression: division by zero at 11"),
                (state.Desired, state.DesiredSource, state.ExpressionError));
        });
    }

    // The decision the pass handed to the preset's latest ReconcilePreset run, as its history recorded it.
    private async Task<ReconcilePresetInput> PresetInputAsync(Guid preset)
    {
        var history = await temporal.Client.GetWorkflowHandle(WorkflowIds.Preset(preset)).FetchHistoryAsync();
        var payload = history.Events.First().WorkflowExecutionStartedEventAttributes.Input.Payloads_[0];
        return await DataConverter.Default.ToValueAsync<ReconcilePresetInput>(payload);
    }
}
