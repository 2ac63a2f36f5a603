using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace TemporalDev.Bench;

/// <summary>
/// <c>--db-filename</c> costs: one-activity workflows per second with and without the file, and the time from
/// launching a server on a file holding many open (parked) workflows, killed with SIGKILL, to serving them again.
/// </summary>
public static class PersistenceBench
{
    public static async Task<int> RunAsync(string launcher, int workflows, int parked)
    {
        var directory = Directory.CreateTempSubdirectory("temporal-dev-bench-").FullName;
        try
        {
            var memory = await ThroughputAsync(launcher, null, workflows);
            var persisted = await ThroughputAsync(launcher, Path.Combine(directory, "throughput.db"), workflows);
            Console.WriteLine($"one-activity workflows ({workflows}), memory only: {memory.Rate:F0}/s, server CPU {memory.CpuMs:F2} ms per workflow");
            Console.WriteLine($"one-activity workflows ({workflows}), --db-filename: {persisted.Rate:F0}/s, server CPU {persisted.CpuMs:F2} ms per workflow ({persisted.CpuMs - memory.CpuMs:F2} ms more)");
            await RestartAsync(launcher, Path.Combine(directory, "parked.db"), parked);
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(double Rate, double CpuMs)> ThroughputAsync(string launcher, string? db, int workflows)
    {
        var (server, client, _) = await LaunchAsync(launcher, db);
        try
        {
            const string queue = "bench-persist-throughput";
            using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue)
            {
                MaxConcurrentWorkflowTasks = 200,
                MaxConcurrentActivities = 200,
                MaxConcurrentWorkflowTaskPolls = 16,
                MaxConcurrentActivityTaskPolls = 16,
            }.AddWorkflow<OneActivityWorkflow>().AddActivity(BenchActivities.Echo));
            return await worker.ExecuteAsync(async () =>
            {
                await BenchServer.RunOneActivityBatchAsync(client, queue, 100, "warmup");
                var cpu = CpuTime(server);
                var clock = Stopwatch.StartNew();
                await BenchServer.RunOneActivityBatchAsync(client, queue, workflows, "run");
                var rate = workflows / clock.Elapsed.TotalSeconds;
                return (rate, (CpuTime(server) - cpu).TotalMilliseconds / workflows);
            });
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
        }
    }

    private static async Task RestartAsync(string launcher, string db, int parked)
    {
        const string queue = "bench-persist-parked";
        var (server, client, _) = await LaunchAsync(launcher, db);
        try
        {
            using var worker = new TemporalWorker(client, new TemporalWorkerOptions(queue) { MaxConcurrentWorkflowTasks = 200, MaxCachedWorkflows = 1000 }.AddWorkflow<ParkedWorkflow>());
            await worker.ExecuteAsync(async () =>
            {
                var clock = Stopwatch.StartNew();
                await BenchServer.StartParkedAsync(client, queue, parked);
                while (!await ParkedAsync(client, $"parked-{parked - 1}")) await Task.Delay(200);
                Console.WriteLine($"{parked} workflows parked on a timer in {clock.Elapsed.TotalSeconds:F1} s (with --db-filename)");
            });
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
        }

        Console.WriteLine($"file after SIGKILL: {Size(db)} (database + WAL)");
        var restarts = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var (again, againClient, ready) = await LaunchAsync(launcher, db);
            try
            {
                // Serving again means the restored runs answer, not only the port.
                var probe = Stopwatch.StartNew();
                if (!await ParkedAsync(againClient, $"parked-{parked - 1}") || !await ParkedAsync(againClient, "parked-0"))
                {
                    throw new InvalidOperationException("a parked workflow is not parked after the restart");
                }

                restarts.Add((ready + probe.Elapsed).TotalMilliseconds);
            }
            finally
            {
                again.Kill();
                await again.WaitForExitAsync();
                again.Dispose();
            }
        }

        restarts.Sort();
        Console.WriteLine($"restart on {parked} open workflows -> serving them: median {restarts[1]:F0} ms (min {restarts[0]:F0}, max {restarts[^1]:F0}) over 3 SIGKILLed restarts");
    }

    /// <summary>The server's user + system CPU time (from /proc; less sensitive than wall time to a loaded machine).</summary>
    private static TimeSpan CpuTime(Process server)
    {
        var stat = File.ReadAllText($"/proc/{server.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static async Task<bool> ParkedAsync(TemporalClient client, string id)
    {
        var d = await client.Connection.WorkflowService.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = new() { WorkflowId = id } });
        return d.WorkflowExecutionInfo.Status == WorkflowExecutionStatus.Running && d.PendingWorkflowTask is null && d.WorkflowExecutionInfo.HistoryLength >= 5;
    }

    private static string Size(string db)
    {
        long Bytes(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
        return $"{(Bytes(db) + Bytes(db + "-wal")) / 1024.0 / 1024.0:F1} MB";
    }

    private static Task<(Process Server, TemporalClient Client, TimeSpan Ready)> LaunchAsync(string launcher, string? db) =>
        BenchServer.LaunchAsync(launcher, db is null ? [] : ["--db-filename", db], line =>
        {
            if (line.Contains("restored", StringComparison.Ordinal)) Console.WriteLine($"  {line}");
        });
}
