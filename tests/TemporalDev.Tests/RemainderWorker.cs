using Lifecycle.Testing.Temporal;
using Temporalio.Worker;
using TemporalDev.Tests.Workflows;

namespace TemporalDev.Tests;

/// <summary>A worker for the cron, async-completion and execution-timeout tests' workflows while a test body runs.</summary>
public static class RemainderWorker
{
    public static async Task<T> RunAsync<T>(TemporalFixture temporal, string taskQueue, Func<Task<T>> body)
    {
        using var worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<CronTickWorkflow>()
            .AddWorkflow<ExternalActivityWorkflow>()
            .AddWorkflow<HalfHourlyWorkflow>()
            .AddWorkflow<AlwaysFailingWorkflow>()
            .AddActivity(ExternalActivities.WaitForExternal));
        return await worker.ExecuteAsync(body);
    }
}
