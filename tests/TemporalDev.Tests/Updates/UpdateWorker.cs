using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace TemporalDev.Tests.Updates;

/// <summary>Runs a real worker with the update test workflows while a test body runs, and replays their histories.</summary>
public static class UpdateWorker
{
    private static readonly Type[] Workflows = [typeof(UpdatableWorkflow), typeof(SleepingUpdatableWorkflow), typeof(ClosingWorkflow), typeof(ContinuingWorkflow)];

    public static async Task<T> RunAsync<T>(TemporalFixture temporal, string taskQueue, Func<Task<T>> body)
    {
        var options = new TemporalWorkerOptions(taskQueue).AddActivity(HeldTasks.HoldAsync);
        foreach (var workflow in Workflows) options.AddWorkflow(workflow);
        using var worker = new TemporalWorker(temporal.Client, options);
        return await worker.ExecuteAsync(body);
    }

    public static Task RunAsync(TemporalFixture temporal, string taskQueue, Func<Task> body) =>
        RunAsync(temporal, taskQueue, async () =>
        {
            await body();
            return true;
        });

    /// <summary>Fetches a run's history and checks the SDK replays it without non-determinism.</summary>
    public static async Task<List<HistoryEvent>> HistoryAsync(WorkflowHandle handle)
    {
        var history = await handle.FetchHistoryAsync();
        var options = new WorkflowReplayerOptions();
        foreach (var workflow in Workflows) options.AddWorkflow(workflow);
        await new WorkflowReplayer(options).ReplayWorkflowAsync(history);
        return [.. history.Events];
    }

    public static List<HistoryEvent> OfType(this IEnumerable<HistoryEvent> events, EventType type) => [.. events.Where(e => e.EventType == type)];
}
