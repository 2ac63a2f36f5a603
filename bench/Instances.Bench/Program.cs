using System.Diagnostics;
using System.Globalization;
using Dapper;
using Instances.Bench;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;
using Temporalio.Testing;
using Temporalio.Worker;

// Instance lifecycle at scale on this machine, against temporal-dev (wall clock) and a private PostgreSQL:
//  1. READY_INSTANCES (default 200) instances with the real `process` provider, from pending_create to ready (each a
//     real agent process calling the ready endpoint back), then deleted; no process may be left.
//  2. IDLE_INSTANCES (default 2,000) instances held ready and idle by a worker caching at most CACHED (default 10)
//     workflows: the worker process's memory (managed heap and RSS) before and after, per instance.
//  3. History events per instance lifetime, from the histories of phase 1.
// With `workspaces [count]`, the workspace benchmark (WorkspaceBench) runs instead.
var readyCount = Setting("READY_INSTANCES", 200);
var idleCount = Setting("IDLE_INSTANCES", 2_000);
var cached = Setting("CACHED", 10);
var work = Path.Combine(Path.GetTempPath(), $"instances-bench-{Guid.NewGuid():N}");
Directory.CreateDirectory(work);

await TemporalDevLauncher.BuildAsync();
await using var temporal = await StartTemporalAsync();
var database = new PostgresDatabase();
await database.InitializeAsync();
StoreDataSource.ConfigureDapper();
await using var api = await ReadyEndpoint.StartAsync(temporal.Client);
var exitCode = 0;
try
{
    var processConfig = Path.Combine(work, "process-provider.json");
    await File.WriteAllTextAsync(processConfig, """{"state_dir": "state", "stop_grace_seconds": 2}""");
    var process = ProcessProviderExecutable.Definition(processConfig, TimeSpan.FromMinutes(2));
    var instant = InstantProvider.Definition(work);
    var fleet = await BenchFleet.SeedAsync(database.DataSource);
    var options = new InstanceActivityOptions
    {
        ControllerId = "instances-bench",
        CallbackBaseUrl = api.BaseUrl,
        InstanceTokenSecret = "instances-bench-secret-0123456789abcdef",
    };
    var activities = new InstanceActivities(
        new InstanceStore(database.DataSource),
        new ProviderCatalog([process, instant], options.ControllerId),
        Microsoft.Extensions.Options.Options.Create(options),
        NullLogger<InstanceActivities>.Instance);

    // `workspaces [count=10000]`: issue 6's idle-query and autostop/autostart lateness benchmark instead of 1–3.
    if (args is ["workspaces", ..])
    {
        var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        try
        {
            return await WorkspaceBench.RunAsync(temporal.Client, database, fleet, options, instant, count);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException or Temporalio.Exceptions.TemporalException)
        {
            // Returning (not crashing) lets the process-exit hook stop the private PostgreSQL and disposes temporal-dev.
            await Console.Error.WriteLineAsync($"workspaces benchmark failed: {e}");
            return 1;
        }
    }

    // ---- 1. READY_INSTANCES real process-provider instances to ready, then deleted.
    var queue = $"bench-ready-{Guid.NewGuid():N}";
    using (var worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(queue).AddWorkflow<InstanceWorkflow>().AddAllActivities(activities)))
    {
        await worker.ExecuteAsync(async () =>
        {
            var ids = await fleet.InsertAsync(readyCount, ProcessProviderExecutable.ProviderName);
            var clock = Stopwatch.StartNew();
            var handles = await StartAllAsync(temporal.Client, fleet, ids, ProcessProviderExecutable.ProviderName, queue, signalReady: false);
            var allReady = await fleet.WaitReadyAsync(ids, TimeSpan.FromMinutes(15));
            var elapsed = clock.Elapsed;
            var (p50, p95, max) = await fleet.ReadyLatenciesAsync(ids);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"phase 1: {allReady}/{readyCount} process-provider instances ready in {elapsed.TotalSeconds:F1} s ({readyCount / elapsed.TotalSeconds:F1}/s); row created → ready p50 {p50:F1} s, p95 {p95:F1} s, max {max:F1} s"));

            clock.Restart();
            await Task.WhenAll(handles.Select(h => h.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest()))));
            await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
            var left = await new ExternalProvider(process, options.ControllerId).ListInstancesAsync(new ProviderPool(fleet.PresetId.ToString()));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"phase 1: all deleted in {clock.Elapsed.TotalSeconds:F1} s; machines left at the provider: {left.Count}"));
            if (allReady != readyCount || left.Count != 0)
                exitCode = 1;

            // A lifetime is every run of the workflow: follow continue-as-new from the first run.
            var events = new List<int>();
            var runs = 0;
            foreach (var handle in handles)
            {
                var lifetime = 0;
                for (var runId = handle.FirstExecutionRunId; !string.IsNullOrEmpty(runId); runs++)
                {
                    var history = await temporal.Client.GetWorkflowHandle(handle.Id, runId).FetchHistoryAsync();
                    lifetime += history.Events.Count;
                    runId = history.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes?.NewExecutionRunId;
                }
                events.Add(lifetime);
            }
            events.Sort();
            Console.WriteLine($"phase 3: history events per lifetime (create → ready → delete): min {events[0]}, median {events[events.Count / 2]}, max {events[^1]}; {runs} run(s) for {handles.Count} instances");
        });
    }

    // ---- 2. IDLE_INSTANCES idle ready workflows with a small workflow cache: worker memory per instance.
    queue = $"bench-idle-{Guid.NewGuid():N}";
    var workerOptions = new TemporalWorkerOptions(queue) { MaxCachedWorkflows = cached }.AddWorkflow<InstanceWorkflow>().AddAllActivities(activities);
    using (var worker = new TemporalWorker(temporal.Client, workerOptions))
    {
        await worker.ExecuteAsync(async () =>
        {
            // Warm-up: the first instances pay for connection pools, JIT and the SDK's buffers; measure after them.
            var warmup = await fleet.InsertAsync(Math.Min(100, idleCount), InstantProvider.Name);
            var warm = await StartAllAsync(temporal.Client, fleet, warmup, InstantProvider.Name, queue, signalReady: true);
            await fleet.WaitReadyAsync(warmup, TimeSpan.FromMinutes(5));
            var before = Memory.Measure();
            var ids = await fleet.InsertAsync(idleCount, InstantProvider.Name);
            var clock = Stopwatch.StartNew();
            var handles = await StartAllAsync(temporal.Client, fleet, ids, InstantProvider.Name, queue, signalReady: true);
            var allReady = await fleet.WaitReadyAsync(ids, TimeSpan.FromMinutes(20));
            var settle = clock.Elapsed;
            var after = Memory.Measure();
            var perManaged = (after.ManagedBytes - before.ManagedBytes) / (double)idleCount;
            var perRss = (after.RssBytes - before.RssBytes) / (double)idleCount;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                phase 2: {allReady}/{idleCount} idle ready instance workflows (MaxCachedWorkflows {cached}) settled in {settle.TotalSeconds:F1} s
                phase 2: worker managed heap {before.ManagedBytes / 1048576.0:F1} → {after.ManagedBytes / 1048576.0:F1} MB, RSS {before.RssBytes / 1048576.0:F1} → {after.RssBytes / 1048576.0:F1} MB
                phase 2: per idle instance workflow: managed {perManaged / 1024:F2} KB, RSS (managed + native) {perRss / 1024:F2} KB (target < 20 KB)
                """));
            if (allReady != idleCount || perRss > 20 * 1024)
                exitCode = 1;

            // Cleanup: the instant machines are files; the workflows end.
            await Task.WhenAll(handles.Concat(warm).Select(h => h.TerminateAsync("benchmark over")));
        });
    }
}
finally
{
    await database.DisposeAsync();
    Directory.Delete(work, recursive: true);
}
return exitCode;

// The SDK gives the server 5 s to answer; on a loaded 2-core machine a launch may need another try.
static async Task<WorkflowEnvironment> StartTemporalAsync()
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            var env = await WorkflowEnvironment.StartLocalAsync(new() { DevServerOptions = new() { ExistingPath = TemporalDevLauncher.Path } });

            // temporal-dev, like a real server, refuses search attributes nobody registered (the workflow sets InstanceState).
            var request = new Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest { Namespace = env.Client.Options.Namespace };
            foreach (var key in TemporalFixture.ProductSearchAttributes)
                request.SearchAttributes[key.Name] = key.ValueType;
            await env.Client.Connection.OperatorService.AddSearchAttributesAsync(request);
            return env;
        }
        catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("did not start", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync($"temporal-dev launch attempt {attempt} failed, retrying");
        }
    }
}

static int Setting(string name, int fallback) =>
    int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

static async Task<List<WorkflowHandle<InstanceWorkflow, InstanceOutcome>>> StartAllAsync(
    ITemporalClient client, BenchFleet fleet, IReadOnlyList<(Guid Id, string Name)> ids, string provider, string queue, bool signalReady)
{
    var handles = new List<WorkflowHandle<InstanceWorkflow, InstanceOutcome>>();
    using var gate = new SemaphoreSlim(32);
    var starts = ids.Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            var input = new InstanceWorkflowInput(i.Id, i.Name, provider, fleet.PresetId, fleet.TemplateId, InstanceWorkflowInput.DefaultBootstrapTimeout, new CreateRetryPolicy());
            // Without a real agent, the API's ready signal is sent with the start: it waits as a flag until the machine runs.
            var options = new WorkflowOptions(WorkflowIds.Instance(i.Id), queue) { StartSignal = signalReady ? "ready" : null };
            return await client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), options);
        }
        finally
        {
            gate.Release();
        }
    });
    handles.AddRange(await Task.WhenAll(starts));
    return handles;
}
