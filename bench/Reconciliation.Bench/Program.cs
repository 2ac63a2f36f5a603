using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

// A reconciliation pass at scale: PRESETS presets with prebuilds (default 1,000) and INSTANCES running prebuilds
// (default 10,000), spread over 100 templates, on a fresh migrated database (LIFECYCLE_DATABASE_URL, or a private
// throw-away cluster). Measures the snapshot read and the pure decisions of every preset, as ReconcileAll does them;
// counts the round trips a snapshot makes at a tenth of the scale and at full scale; and runs the real ReconcileAll
// workflow over the full fleet on temporal-dev to show that a pass with nothing to do starts no child.
var presets = Setting("PRESETS", 1_000);
var instances = Setting("INSTANCES", 10_000);
var passes = Setting("PASSES", 10);
var options = PrebuildOptions.Default;

var small = new PostgresDatabase();
var database = new PostgresDatabase();
await small.InitializeAsync();
await database.InitializeAsync();
try
{
    var seeding = Stopwatch.StartNew();
    await SeedAsync(small, presets / 10, instances / 10);
    await SeedAsync(database, presets, instances);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {presets:N0} presets and {instances:N0} running prebuilds (and a tenth of that) in {seeding.Elapsed.TotalSeconds:F1} s"));

    await PrebuildSnapshotReader.ReadAsync(small.DataSource, options); // warm-up: connection, plans, caches
    await PrebuildSnapshotReader.ReadAsync(database.DataSource, options);
    var smallTrips = await RoundTripsAsync(() => PrebuildSnapshotReader.ReadAsync(small.DataSource, options));
    var fullTrips = await RoundTripsAsync(() => PrebuildSnapshotReader.ReadAsync(database.DataSource, options));

    var snapshotTimes = new List<double>();
    var decideTimes = new List<double>();
    var withWork = 0;
    var running = 0;
    var fullBytes = 0;
    var passBytes = 0;
    for (var pass = 0; pass < passes; pass++)
    {
        var clock = Stopwatch.StartNew();
        var read = await PrebuildSnapshotReader.ReadAsync(database.DataSource, options);
        snapshotTimes.Add(clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        var decisions = PresetReconciliation.DecideAll(read.Snapshot, read.ReadAt, options);
        decideTimes.Add(clock.Elapsed.TotalMilliseconds);
        withWork = decisions.Count(d => d.HasWork);
        running = read.Snapshot.Running.Count;
        var trimmed = PrebuildSnapshotTrim.To(read.Snapshot, decisions.Where(d => d.HasWork).Select(d => d.PresetId).ToHashSet());
        fullBytes = JsonSerializer.SerializeToUtf8Bytes(read.Snapshot).Length;
        passBytes = JsonSerializer.SerializeToUtf8Bytes(trimmed).Length;
    }

    var workflowPass = await WorkflowPassAsync(database);

    var total = snapshotTimes.Zip(decideTimes, (s, d) => s + d).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        passes:                      {passes}
        running prebuilds read:      {running:N0}
        round trips per snapshot:    {smallTrips} at {presets / 10:N0} presets, {fullTrips} at {presets:N0} presets (measured: Npgsql commands sent)
        statements per snapshot:     {PrebuildSnapshotReader.StatementCount} in that one batch (the reader fails if the batch returns more result sets), one read-only repeatable-read transaction
        snapshot      median / max:  {Median(snapshotTimes):F1} / {snapshotTimes.Max():F1} ms
        decisions     median / max:  {Median(decideTimes):F1} / {decideTimes.Max():F1} ms
        pass (both)   median / max:  {Median(total):F1} / {total.Max():F1} ms   (target < 1000 ms)
        presets with work:           {withWork} (every preset at its desired count)
        snapshot as JSON:            {fullBytes:N0} bytes in all; {passBytes:N0} bytes handed to the workflow (presets with work only)
        ReconcileAll on temporal-dev: {workflowPass.Presets:N0} presets read, {workflowPass.WithWork} with work, {workflowPass.Children} ReconcilePreset children started, {workflowPass.Activities} activity scheduled, {workflowPass.Events} history events, {workflowPass.Elapsed.TotalMilliseconds:F0} ms start to result
        """));
    var ok = total.Max() < 1000 && smallTrips == fullTrips && workflowPass.Children == 0;
    return ok ? 0 : 1;
}
finally
{
    await small.DisposeAsync();
    await database.DisposeAsync();
}

// Npgsql traces every command it sends (one activity per round trip) once something listens to its source.
static async Task<int> RoundTripsAsync(Func<Task> read)
{
    var commands = 0;
    using var listener = new ActivityListener
    {
        ShouldListenTo = source => source.Name == "Npgsql",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        ActivityStarted = _ => Interlocked.Increment(ref commands),
    };
    ActivitySource.AddActivityListener(listener);
    await read();
    return commands;
}

// The real ReconcileAll (and ReconcilePreset) workflow with the real activities over the seeded fleet, on a
// time-skipping temporal-dev server: what one scheduled pass costs when every preset is at its desired count.
static async Task<WorkflowPass> WorkflowPassAsync(PostgresDatabase database)
{
    var temporal = new TemporalFixture();
    await temporal.InitializeAsync();
    try
    {
        using var metrics = new PrebuildMetrics();
        var activities = new ReconcileActivities(database.DataSource, temporal.Client, metrics, new ReconcileSettings());
        var taskQueue = temporal.NewTaskQueue("bench");
        using var worker = new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<ReconcileAllWorkflow>()
                .AddWorkflow<ReconcilePresetWorkflow>()
                .AddAllActivities(activities));
        return await worker.ExecuteAsync(async () =>
        {
            var clock = Stopwatch.StartNew();
            var handle = await temporal.Client.StartWorkflowAsync(
                (ReconcileAllWorkflow w) => w.RunAsync(new ReconcileAllInput()),
                new WorkflowOptions(temporal.NewWorkflowId("bench-pass"), taskQueue));
            var result = await handle.GetResultAsync();
            var elapsed = clock.Elapsed;
            var history = await handle.FetchHistoryAsync();
            return new WorkflowPass(
                result.Presets,
                result.PresetsWithWork,
                history.Events.Count(e => e.EventType == EventType.StartChildWorkflowExecutionInitiated),
                history.Events.Count(e => e.EventType == EventType.ActivityTaskScheduled),
                history.Events.Count,
                elapsed);
        });
    }
    finally
    {
        await temporal.DisposeAsync();
    }
}

static int Setting(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

// Set-based seeding: 100 templates with an active version; presets spread over them, each wanting its share of the
// instances; every instance has a first start build whose job succeeded, and is ready.
static async Task SeedAsync(PostgresDatabase database, int presets, int instances)
{
    const int templates = 100;
    await using var connection = await database.DataSource.OpenConnectionAsync();
    await connection.ExecuteAsync(
        """
        INSERT INTO organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000aa', 'bench');
        INSERT INTO templates (id, organization_id, name, provider_name)
        SELECT md5('t' || g)::uuid, '00000000-0000-0000-0000-0000000000aa', 'template-' || g, 'process'
        FROM generate_series(1, @templates) g;
        INSERT INTO template_versions (id, template_id, name)
        SELECT md5('v' || g)::uuid, md5('t' || g)::uuid, 'v1' FROM generate_series(1, @templates) g;
        UPDATE templates t SET active_version_id = md5('v' || substr(t.name, 10))::uuid;
        INSERT INTO presets (id, template_version_id, name, desired_instances, invalidate_after_secs)
        SELECT md5('p' || g)::uuid, md5('v' || (1 + g % @templates))::uuid, 'preset-' || g, @perPreset, 86400
        FROM generate_series(1, @presets) g;
        INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name, provider_name,
                                instance_status, ready_at, created_at)
        SELECT md5('w' || g)::uuid, '00000000-0000-0000-0000-0000000000aa', 'c42fdf75-3097-471c-8c33-fb52454d81c0',
               md5('t' || (1 + (1 + g % @presets) % @templates))::uuid, md5('p' || (1 + g % @presets))::uuid,
               'prebuild-' || g, 'prebuild-' || g, 'process', 'running', now(), now() - make_interval(secs => g)
        FROM generate_series(1, @instances) g;
        INSERT INTO provisioner_jobs (id, organization_id, initiator_id, worker_id, started_at, completed_at)
        SELECT md5('j' || g)::uuid, '00000000-0000-0000-0000-0000000000aa', 'c42fdf75-3097-471c-8c33-fb52454d81c0',
               'bench', now(), now()
        FROM generate_series(1, @instances) g;
        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                      transition, initiator_id, job_id, is_prebuild)
        SELECT md5('b' || g)::uuid, w.id, 1, p.template_version_id, p.id, 'start',
               'c42fdf75-3097-471c-8c33-fb52454d81c0', md5('j' || g)::uuid, true
        FROM generate_series(1, @instances) g
        JOIN workspaces w ON w.id = md5('w' || g)::uuid
        JOIN presets p ON p.id = w.preset_id;
        ANALYZE;
        """,
        new { templates, presets, instances, perPreset = instances / presets },
        commandTimeout: 300);
}

/// <summary>What one ReconcileAll run did, read from its result and history.</summary>
internal sealed record WorkflowPass(int Presets, int WithWork, int Children, int Activities, int Events, TimeSpan Elapsed);
