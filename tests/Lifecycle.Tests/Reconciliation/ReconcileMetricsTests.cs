using System.Diagnostics.Metrics;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Testing;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The paused gauge and the pass-duration histogram (own database: the pause setting is global).</summary>
public sealed class ReconcileMetricsTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Pausing_sets_the_paused_gauge_and_each_pass_records_its_duration()
    {
        // A meter of this test's own scope: other test classes' PrebuildMetrics publish under the same meter name.
        using var factory = new ScopedMeterFactory();
        using var metrics = new PrebuildMetrics(factory);
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        await seed.PresetAsync(desired: 1);
        var gauges = new Dictionary<string, long>();
        var durations = new List<(double Seconds, bool Paused)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PrebuildMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => gauges[i.Name] = v);
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => gauges[i.Name] = v);
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) =>
        {
            if (i.Name == "coderd_prebuilds_reconciliation_duration_seconds")
                durations.Add((v, tags.ToArray().Single(t => t.Key == "paused").Value is true));
        });
        listener.Start();

        await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        listener.RecordObservableInstruments();
        Assert.Equal(0, gauges["coderd_prebuilt_workspaces_reconciliation_paused"]);

        await seed.ExecuteAsync("UPDATE global_settings SET reconciliation_paused = true");
        await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        listener.RecordObservableInstruments();
        Assert.Equal(1, gauges["coderd_prebuilt_workspaces_reconciliation_paused"]);

        await activities.ReportPassAsync(new ReconcilePassReport(TimeSpan.FromSeconds(2.5), Paused: true, Presets: 1, PresetsWithWork: 0, Failed: 0));
        Assert.Equal([(2.5, true)], durations);
    }
}
