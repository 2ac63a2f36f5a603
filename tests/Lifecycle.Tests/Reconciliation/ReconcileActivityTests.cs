using System.Diagnostics.Metrics;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Testing;
using Xunit;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// The reconcile activities as a worker crash would replay them (each run twice) with the real Temporal client, and
/// the metrics they publish.
/// </summary>
public sealed class ReconcileActivityTests(TemporalFixture temporal, PostgresDatabase database)
    : IClassFixture<TemporalFixture>, IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Retried_insert_start_and_delete_change_nothing_twice()
    {
        using var metrics = new PrebuildMetrics();
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var env = new ActivityEnvironment { Info = ActivityEnvironment.DefaultInfo with { TaskQueue = temporal.NewTaskQueue("no-worker") } };
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 2);
        var request = new InsertPrebuildsRequest("crashed-pass", preset, 0, 2);

        var inserted = await env.RunAsync(() => activities.InsertPrebuildsAsync(request));
        var reinserted = await env.RunAsync(() => activities.InsertPrebuildsAsync(request));
        var started = await env.RunAsync(() => activities.StartInstancesAsync(new StartInstancesRequest(reinserted.Instances)));
        var restarted = await env.RunAsync(() => activities.StartInstancesAsync(new StartInstancesRequest(reinserted.Instances)));

        Assert.Equal(inserted.Instances.Select(i => i.InstanceId), reinserted.Instances.Select(i => i.InstanceId));
        Assert.Equal(new StartInstancesResult(2, 0), started);
        Assert.Equal(new StartInstancesResult(0, 2), restarted);
        foreach (var instance in inserted.Instances)
            Assert.Equal(instance.InstanceId.ToString(), (await temporal.Client.GetWorkflowHandle(WorkflowIds.Instance(instance.InstanceId)).DescribeAsync()).Id[9..]);

        var user = await seed.UserAsync([]);
        var (first, second) = (inserted.Instances[0].InstanceId, inserted.Instances[1].InstanceId);
        await seed.ExecuteAsync("UPDATE workspaces SET owner_id = @user WHERE id = @second", new { user, second });
        var delete = new DeletePrebuildsRequest(preset, [first, second], PrebuildDeleteReason.Extraneous);

        var deleted = await env.RunAsync(() => activities.DeletePrebuildsAsync(delete));
        var redeleted = await env.RunAsync(() => activities.DeletePrebuildsAsync(delete));

        Assert.Equal([first], deleted.Signalled);
        Assert.Equal([second], deleted.Claimed);
        Assert.Equal(deleted.Signalled, redeleted.Signalled);
        Assert.Equal(1, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspace_builds WHERE workspace_id = @first AND transition = 'delete'", new { first }));
        Assert.Equal(0, await seed.ScalarAsync<int>("SELECT count(*)::int FROM workspace_builds WHERE workspace_id = @second AND transition = 'delete'", new { second }));
        var history = await temporal.Client.GetWorkflowHandle(WorkflowIds.Instance(first)).FetchHistoryAsync();
        Assert.Equal(2, history.Events.Count(e => e.WorkflowExecutionSignaledEventAttributes?.SignalName == "delete"));
    }

    [Fact]
    public async Task Snapshot_publishes_Coder_named_gauges_and_totals_for_active_presets()
    {
        using var metrics = new PrebuildMetrics();
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 3, name: "metered");
        var user = await seed.UserAsync([]);
        await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: true);
        await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], ready: false);
        await seed.InstanceAsync(preset, [new("start", Job.Succeeded)], owner: user);
        await seed.InstanceAsync(preset, [new("start", Job.Failed)], instanceStatus: "error");

        await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        var seen = Collect(metrics, $"tpl-{seed.TemplateId}", "metered");

        Assert.Equal(3, seen["coderd_prebuilt_workspaces_desired"]);
        Assert.Equal(2, seen["coderd_prebuilt_workspaces_running"]);
        Assert.Equal(1, seen["coderd_prebuilt_workspaces_eligible"]);
        Assert.Equal(4, seen["coderd_prebuilt_workspaces_created_total"]);
        Assert.Equal(1, seen["coderd_prebuilt_workspaces_failed_total"]);
        Assert.Equal(1, seen["coderd_prebuilt_workspaces_claimed_total"]);
        Assert.False(seen.ContainsKey("coderd_prebuilt_workspaces_preset_hard_limited"));
        Assert.Equal(0, seen["coderd_prebuilt_workspaces_reconciliation_paused"]);
    }

    [Fact]
    public async Task A_preset_at_the_hard_failure_limit_reads_1_on_the_hard_limited_gauge_and_a_reset_clears_it()
    {
        using var metrics = new PrebuildMetrics();
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var preset = await seed.PresetAsync(desired: 1, name: "limited");
        for (var i = 3; i >= 1; i--)
            await seed.InstanceAsync(preset, [new("start", Job.Failed, DateTimeOffset.UtcNow.AddMinutes(-i))], instanceStatus: "error");

        await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        var limited = Collect(metrics, $"tpl-{seed.TemplateId}", "limited");
        await seed.ExecuteAsync("UPDATE presets SET prebuild_status = 'healthy', failure_limit_reset_at = now() WHERE id = @preset", new { preset });
        await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        var reset = Collect(metrics, $"tpl-{seed.TemplateId}", "limited");

        Assert.Equal(1, limited["coderd_prebuilt_workspaces_preset_hard_limited"]);
        Assert.Equal(3, limited["coderd_prebuilt_workspaces_failed_total"]);
        Assert.False(reset.ContainsKey("coderd_prebuilt_workspaces_preset_hard_limited"));
        Assert.Equal(1, reset["coderd_prebuilt_workspaces_desired"]);
    }

    [Fact]
    public async Task The_pass_carries_only_presets_with_work_and_the_workflow_decides_them_exactly_as_the_activity()
    {
        using var metrics = new PrebuildMetrics();
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var seed = await PrebuildSeed.TemplateAsync(database.DataSource);
        var idle = await seed.PresetAsync(desired: 1, name: "idle");
        await seed.InstanceAsync(idle, [new("start", Job.Succeeded)], ready: true);
        var busy = await seed.PresetAsync(desired: 3, name: "busy", invalidateAfterSecs: 60);
        await seed.InstanceAsync(busy, [new("start", Job.Succeeded)], ready: true, createdAt: DateTimeOffset.UtcNow.AddHours(-1));

        var pass = await new ActivityEnvironment().RunAsync(() => activities.ReadSnapshotAsync(new PrebuildSnapshotRequest()));
        var full = await PrebuildSnapshotReader.ReadAsync(database.DataSource, pass.Options);

        Assert.Contains(pass.Snapshot.Presets, p => p.Id == busy);
        Assert.DoesNotContain(pass.Snapshot.Presets, p => p.Id == idle);
        Assert.Equal(full.Snapshot.Presets.Count, pass.PresetsRead);
        var fromPass = PresetReconciliation.DecideAll(pass.Snapshot, pass.ReadAt, pass.Options).Single(d => d.PresetId == busy);
        var fromFull = PresetReconciliation.Decide(full.Snapshot.ForPreset(busy), pass.ReadAt, pass.Options);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(fromFull.Actions),
            System.Text.Json.JsonSerializer.Serialize(fromPass.Actions));
        Assert.Equal([PrebuildActionKind.Delete, PrebuildActionKind.Create], fromPass.Actions.Select(a => a.Kind));
    }

    /// <summary>Observes every instrument once; keeps the measurements of one template/preset and the unlabelled ones.</summary>
    private static Dictionary<string, long> Collect(PrebuildMetrics metrics, string template, string preset)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PrebuildMetrics.MeterName && instrument.Name.StartsWith("coderd_prebuilt_workspaces_", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            if (labels.Count == 0 || (labels.GetValueOrDefault("template_name") == template && labels.GetValueOrDefault("preset_name") == preset))
                seen[instrument.Name] = value;
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        GC.KeepAlive(metrics);
        return seen;
    }
}
