using System.Diagnostics;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;

namespace TemporalDev.Bench;

/// <summary>
/// ListWorkflowExecutions by a custom keyword over many closed workflows: starts <c>total</c> workflows with
/// <c>Tenant = tenant-(i mod 100)</c> and terminates them (no worker), then times the list of one tenant's workflows.
/// </summary>
public static class VisibilityBench
{
    public const string LaunchFlags = "--search-attribute Tenant=Keyword";

    private static readonly SearchAttributeKey<string> Tenant = SearchAttributeKey.CreateKeyword("Tenant");

    public static async Task RunAsync(ITemporalClient client, int total)
    {
        var clock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, total).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var handle = await client.StartWorkflowAsync("ClosedProbe", Array.Empty<object?>(), new($"closed-{i}", "bench-visibility")
                    {
                        TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Tenant, $"tenant-{i % 100}").ToSearchAttributeCollection(),
                    });
                    await handle.TerminateAsync("visibility benchmark");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        Console.WriteLine($"visibility: {total} workflows started and terminated in {clock.Elapsed.TotalSeconds:F1} s");
        var raw = client.Connection.WorkflowService;
        await TimeAsync($"list Tenant = 'tenant-42' (page of 100 of {total / 100})", () => raw.ListWorkflowExecutionsAsync(new ListWorkflowExecutionsRequest
        {
            Namespace = client.Options.Namespace,
            Query = "Tenant = 'tenant-42'",
            PageSize = 100,
        }), r => r.Executions.Count);
        await TimeAsync($"list Tenant = 'tenant-42' (all {total / 100}, one page)", () => raw.ListWorkflowExecutionsAsync(new ListWorkflowExecutionsRequest
        {
            Namespace = client.Options.Namespace,
            Query = "Tenant = 'tenant-42'",
        }), r => r.Executions.Count);
        await TimeAsync("list Tenant = 'tenant-42' AND ExecutionStatus = 'Terminated' ORDER BY StartTime", () => raw.ListWorkflowExecutionsAsync(new ListWorkflowExecutionsRequest
        {
            Namespace = client.Options.Namespace,
            Query = "Tenant = 'tenant-42' AND ExecutionStatus = 'Terminated' ORDER BY StartTime",
            PageSize = 100,
        }), r => r.Executions.Count);
        await TimeAsync("count GROUP BY ExecutionStatus (every workflow)", () => raw.CountWorkflowExecutionsAsync(new CountWorkflowExecutionsRequest
        {
            Namespace = client.Options.Namespace,
            Query = "GROUP BY ExecutionStatus",
        }), r => r.Count);
        await TimeAsync("list StartTime > 2000 (no index: scans every workflow, page of 100)", () => raw.ListWorkflowExecutionsAsync(new ListWorkflowExecutionsRequest
        {
            Namespace = client.Options.Namespace,
            Query = "StartTime > '2000-01-01T00:00:00Z'",
            PageSize = 100,
        }), r => r.Executions.Count);
    }

    private static async Task TimeAsync<T>(string name, Func<Task<T>> call, Func<T, long> size)
    {
        var times = new List<double>();
        long found = 0;
        for (var i = 0; i < 21; i++)
        {
            var clock = Stopwatch.StartNew();
            found = size(await call());
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine($"  {name}: {found} results, median {times[10]:F1} ms, min {times[0]:F1} ms, max {times[^1]:F1} ms (21 calls, client round trip)");
    }
}
