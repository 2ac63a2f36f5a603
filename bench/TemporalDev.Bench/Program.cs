using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Temporalio.Client;
using Temporalio.Worker;
using TemporalDev.Bench;

// Usage: TemporalDev.Bench [workflows=2000] [parked=10000] [launches=5] [warmup=100]   (0 skips a part)
//        TemporalDev.Bench persistence [workflows=1000] [parked=10000]   (--db-filename costs)
//        TemporalDev.Bench visibility [closed workflows=100000]
if (args is ["persistence", ..])
{
    return await PersistenceBench.RunAsync(
        FindLauncher(),
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000);
}

if (args is ["visibility", ..])
{
    var (server, visibilityClient, _) = await BenchServer.LaunchAsync(FindLauncher(), VisibilityBench.LaunchFlags.Split(' '));
    try
    {
        await VisibilityBench.RunAsync(visibilityClient, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000);
        server.Refresh();
        Console.WriteLine($"  server working set {server.WorkingSet64 / 1024 / 1024} MB");
    }
    finally
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
    }

    return 0;
}

var workflows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
var parked = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var launchCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
var warmup = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100;
var launcher = FindLauncher();

// 1. Launch to first GetSystemInfo answer.
var launches = new List<double>();
for (var i = 0; i < launchCount; i++)
{
    var (server, _, ready) = await BenchServer.LaunchAsync(launcher, []);
    launches.Add(ready.TotalMilliseconds);
    server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync();
}

launches.Sort();
if (launches.Count > 0) Console.WriteLine($"launch -> first GetSystemInfo: median {launches[launches.Count / 2]:F0} ms (min {launches[0]:F0}, max {launches[^1]:F0}) over {launches.Count} launches");

// 2. Workflows per second with one activity, worker in this process.
if (workflows == 0) return 0;
var (dev, client, _) = await BenchServer.LaunchAsync(launcher, []);
try
{
    const string queue = "bench-throughput";
    using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue)
    {
        MaxConcurrentWorkflowTasks = 200,
        MaxConcurrentActivities = 200,
        MaxConcurrentWorkflowTaskPolls = 16,
        MaxConcurrentActivityTaskPolls = 16,
    }.AddWorkflow<OneActivityWorkflow>().AddActivity(BenchActivities.Echo));
    await worker.ExecuteAsync(async () =>
    {
        // Both processes JIT their hot paths to tier 1 only after some calls: a longer warm-up measures the steady state.
        await BenchServer.RunOneActivityBatchAsync(client, queue, warmup, "warmup");
        dev.Refresh();
        var serverCpu = dev.TotalProcessorTime;
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await BenchServer.RunOneActivityBatchAsync(client, queue, workflows, "run");
        clock.Stop();
        dev.Refresh();
        var serverMs = (dev.TotalProcessorTime - serverCpu).TotalMilliseconds / workflows;
        var benchMs = (Process.GetCurrentProcess().TotalProcessorTime - benchCpu).TotalMilliseconds / workflows;
        Console.WriteLine($"one-activity workflows: {workflows} in {clock.Elapsed.TotalSeconds:F2} s = {workflows / clock.Elapsed.TotalSeconds:F0} workflows/s (CPU per workflow: server {serverMs:F2} ms, worker + client {benchMs:F2} ms)");
    });

    // 3. Memory for parked workflows.
    if (parked == 0) return 0;
    const string parkQueue = "bench-parked";
    dev.Refresh();
    var before = dev.WorkingSet64;
    using var parkWorker = new TemporalWorker(client, new TemporalWorkerOptions(parkQueue)
    {
        MaxConcurrentWorkflowTasks = 200,
        MaxCachedWorkflows = 1000,
    }.AddWorkflow<ParkedWorkflow>());
    await parkWorker.ExecuteAsync(async () =>
    {
        var clock = Stopwatch.StartNew();
        await BenchServer.StartParkedAsync(client, parkQueue, parked);

        // Parked means the first workflow task ran: wait until every run has a timer.
        var raw = client.Connection.WorkflowService;
        while (true)
        {
            var last = await raw.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = new() { WorkflowId = $"parked-{parked - 1}" } });
            if (last.PendingWorkflowTask is null && last.WorkflowExecutionInfo.HistoryLength >= 5) break;
            await Task.Delay(200);
        }

        GC.Collect();
        await Task.Delay(1000);
        dev.Refresh();
        Console.WriteLine($"{parked} parked workflows: server working set {dev.WorkingSet64 / 1024 / 1024} MB (was {before / 1024 / 1024} MB before; parked in {clock.Elapsed.TotalSeconds:F1} s)");
    });
}
finally
{
    dev.Kill(entireProcessTree: true);
    await dev.WaitForExitAsync();
}

return 0;

// TEMPORAL_DEV_LAUNCHER picks another build of the server (an A/B against an older commit's launcher).
static string FindLauncher()
{
    if (Environment.GetEnvironmentVariable("TEMPORAL_DEV_LAUNCHER") is { Length: > 0 } chosen) return chosen;
    foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lifecycle.sln"))) return Path.Combine(dir.FullName, "temporal-dev", "temporal");
        }
    }

    throw new InvalidOperationException("run from inside the repository: no Lifecycle.sln above the working directory");
}
