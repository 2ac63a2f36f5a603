using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Tests.Instances;
using Lifecycle.Tests.Providers;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Prebuilds;
using Lifecycle.Workflows.Reconciliation;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>
/// One worker with the real reconcile and Instance workflows and activities over a test database, a scripted GARM
/// provider making the machines, and helpers to run passes and play the agents' ready callbacks.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ReconcileWorkflowKit : IDisposable
{
    private static readonly TimeSpan RealWorkLimit = TimeSpan.FromSeconds(60);

    private ReconcileWorkflowKit(TemporalFixture temporal, PostgresDatabase database, ScriptedMachines machines, string taskQueue)
    {
        Temporal = temporal;
        Database = database;
        Machines = machines;
        TaskQueue = taskQueue;
        Metrics = new PrebuildMetrics();
        var reconcile = new ReconcileActivities(database.DataSource, temporal.Client, Metrics, new ReconcileSettings
        {
            Prebuilds = PrebuildOptions.Default,
            CreateRetry = new CreateRetryPolicy { MaxAttempts = 1 },
        });
        var instances = InstanceActivityKit.Activities(database.DataSource, [machines.Definition]);
        Worker = new TemporalWorker(
            temporal.Client,
            new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<ReconcileAllWorkflow>()
                .AddWorkflow<ReconcilePresetWorkflow>()
                .AddWorkflow<InstanceWorkflow>()
                .AddAllActivities(reconcile)
                .AddAllActivities(instances));
    }

    public TemporalFixture Temporal { get; }

    public PostgresDatabase Database { get; }

    public ScriptedMachines Machines { get; }

    public string TaskQueue { get; }

    public PrebuildMetrics Metrics { get; }

    public TemporalWorker Worker { get; }

    public static ReconcileWorkflowKit Create(TemporalFixture temporal, PostgresDatabase database, string providerSettings = "") =>
        new(temporal, database, ScriptedMachines.Create(providerSettings), temporal.NewTaskQueue("reconcile"));

    /// <summary>Waits until the first build of <paramref name="count"/> of the preset's instances failed (their workflows gave up).</summary>
    public static async Task WaitForFailedAttemptsAsync(PrebuildSeed seed, Guid presetId, int count)
    {
        var until = DateTime.UtcNow + RealWorkLimit;
        const string sql = """
            SELECT count(*)::int FROM workspaces w
            JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = 1
            JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE w.preset_id = @presetId AND j.job_status = 'failed'
            """;
        while (await seed.ScalarAsync<int>(sql, new { presetId }) < count)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"preset {presetId}: fewer than {count} failed attempts after {RealWorkLimit}");
            await Task.Delay(25);
        }
    }

    /// <summary>Set to 1 to (re)write the checked-in histories in <c>tests/Histories</c> from this run.</summary>
    public const string RecordHistoriesVariable = "LIFECYCLE_RECORD_HISTORIES";

    /// <summary>Writes the workflow's history as <c>tests/Histories/{name}.json</c> when recording is asked for.</summary>
    public static async Task RecordHistoryAsync(WorkflowHandle handle, string name, [CallerFilePath] string source = "")
    {
        if (Environment.GetEnvironmentVariable(RecordHistoriesVariable) != "1")
            return;
        var history = await handle.FetchHistoryAsync();
        // The artifacts may live anywhere: the source file's place finds tests/Histories (tests/Lifecycle.Tests/Reconciliation/…).
        var directory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "Histories"));
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}.json"), history.ToJson());
    }

    /// <summary>Runs the test body on the worker with automatic time skipping off (see the tests' summary).</summary>
    public Task RunAsync(Func<Task> body) =>
        Temporal.Env.WithAutoTimeSkippingDisabledAsync(() => Worker.ExecuteAsync(body));

    /// <summary>The machines the provider holds for the preset's instances (live or not), by name.</summary>
    public async Task<List<string>> MachinesOfAsync(PrebuildSeed seed, Guid presetId)
    {
        var names = await seed.QueryAsync<string>("SELECT instance_name FROM workspaces WHERE preset_id = @presetId", new { presetId });
        return [.. Machines.Machines().Intersect(names).Order(StringComparer.Ordinal)];
    }

    /// <summary>Runs one pass as the schedule would and returns its handle and result.</summary>
    public async Task<(WorkflowHandle<ReconcileAllWorkflow, ReconcileAllResult> Handle, ReconcileAllResult Result)> PassAsync(ReconcileAllInput? input = null)
    {
        var handle = await Temporal.Client.StartWorkflowAsync(
            (ReconcileAllWorkflow w) => w.RunAsync(input ?? new ReconcileAllInput()),
            new WorkflowOptions(Temporal.NewWorkflowId("reconcile-all"), TaskQueue));
        return (handle, await handle.GetResultAsync());
    }

    /// <summary>The preset children a pass started, by workflow id.</summary>
    public static async Task<IReadOnlyList<string>> ChildrenStartedAsync(WorkflowHandle handle)
    {
        var history = await handle.FetchHistoryAsync();
        return [.. history.Events
            .Where(e => e.EventType == EventType.StartChildWorkflowExecutionInitiated)
            .Select(e => e.StartChildWorkflowExecutionInitiatedEventAttributes.WorkflowId)];
    }

    /// <summary>The result of the preset's latest ReconcilePreset run.</summary>
    public Task<ReconcilePresetResult> PresetResultAsync(Guid presetId) =>
        Temporal.Client.GetWorkflowHandle<ReconcilePresetWorkflow, ReconcilePresetResult>(WorkflowIds.Preset(presetId)).GetResultAsync();

    /// <summary>Live (not deleted) instances of a preset, oldest first.</summary>
    public async Task<List<Guid>> LiveInstancesAsync(PrebuildSeed seed, Guid presetId) =>
        await seed.QueryAsync<Guid>("SELECT id FROM workspaces WHERE preset_id = @presetId AND NOT deleted ORDER BY created_at, id", new { presetId });

    /// <summary>Waits until the provider made each instance's machine, then plays its agent's ready callback.</summary>
    public async Task MakeReadyAsync(PrebuildSeed seed, IReadOnlyList<Guid> instances)
    {
        foreach (var id in instances)
        {
            await EventuallyAsync(seed, "SELECT instance_status = 'running' FROM workspaces WHERE id = @id", id);
            await Temporal.Client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(id)).SignalAsync(w => w.ReadyAsync());
            await EventuallyAsync(seed, "SELECT ready_at IS NOT NULL FROM workspaces WHERE id = @id", id);
        }
    }

    /// <summary>
    /// Terminates the Instance workflows of the template's instances that still run, so none is left waiting on a timer
    /// with no worker (it would hold time skipping for every later test on the server).
    /// </summary>
    public async Task TerminateInstancesAsync(PrebuildSeed seed)
    {
        foreach (var id in await seed.QueryAsync<Guid>("SELECT id FROM workspaces WHERE template_id = @TemplateId", new { seed.TemplateId }))
        {
            try
            {
                await Temporal.Client.GetWorkflowHandle(WorkflowIds.Instance(id)).TerminateAsync("test done");
            }
            catch (Temporalio.Exceptions.RpcException e) when (e.Code == Temporalio.Exceptions.RpcException.StatusCode.NotFound)
            {
                // Never started (a seeded row) or already finished.
            }
        }
    }

    public void Dispose()
    {
        Metrics.Dispose();
        Machines.Dispose();
    }

    // The machines are real processes (the scripted provider): this waits for them, never for workflow time.
    private static async Task EventuallyAsync(PrebuildSeed seed, string sql, Guid id)
    {
        var until = DateTime.UtcNow + RealWorkLimit;
        while (!await seed.ScalarAsync<bool>(sql, new { id }))
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"instance {id}: still not true after {RealWorkLimit}: {sql}");
            await Task.Delay(25);
        }
    }
}
