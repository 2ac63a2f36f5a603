using System.Runtime.Versioning;
using Lifecycle.Activities.Instances;
using Lifecycle.Testing.Temporal;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Worker;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// Runs one Instance workflow to its end on a Temporal fixture with the real activities (driven by a test's hooks) and
/// collects what a test asserts on: every run's history (following continue-as-new), the timers, the outcome.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class InstanceRuns
{
    public static readonly TimeSpan BootstrapTimeout = InstanceWorkflowInput.DefaultBootstrapTimeout;

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>The hooks of a well-behaved life: the agent calls back once the machine runs, then the API deletes it.</summary>
    public static DrivenInstanceActivities ReadyThenDelete(
        Scenario s,
        bool force = false,
        Func<InstanceTransition, InstanceTransitionResult, Task>? after = null,
        Func<MachineCreateRequest, MachineCreateResult, Task>? afterCreate = null) =>
        new(s.Activities)
        {
            AfterCreate = afterCreate,
            AfterTransition = async (t, r) =>
            {
                if (r.Applied && t.To == InstanceStatus.Running && !t.Ready)
                    await s.Handle.SignalAsync(wf => wf.ReadyAsync());
                else if (r.Applied && t.Ready)
                    await s.Handle.SignalAsync(wf => wf.RequestDeleteAsync(new DeleteInstanceRequest(Force: force)));
                if (after is not null)
                    await after(t, r);
            },
        };

    /// <summary>Seeds an instance, runs its workflow on a fresh task queue until it completes, and reads its histories.</summary>
    public static async Task<FinishedRun> RunAsync(
        TemporalFixture temporal,
        NpgsqlDataSource dataSource,
        InstanceSeed seed,
        ScriptedMachines scripted,
        Func<Scenario, DrivenInstanceActivities> drive,
        TemporalWorkerOptions? workerOptions = null)
    {
        var instance = await seed.InstanceAsync();
        var workflowId = $"instance:{instance.Id}";
        var scenario = new Scenario(
            instance,
            InstanceActivityKit.Activities(dataSource, [scripted.Definition]),
            temporal.Client.GetWorkflowHandle<InstanceWorkflow>(workflowId));
        var activities = drive(scenario);
        var taskQueue = temporal.NewTaskQueue();
        var options = workerOptions ?? new TemporalWorkerOptions();
        options.TaskQueue = taskQueue;
        using var worker = new TemporalWorker(temporal.Client, options.AddAllActivities(activities).AddWorkflow<InstanceWorkflow>());
        return await worker.ExecuteAsync(async () =>
        {
            var input = new InstanceWorkflowInput(instance.Id, instance.Name, instance.ProviderName, instance.PresetId, instance.TemplateId, BootstrapTimeout, new CreateRetryPolicy());
            var handle = await temporal.Client.StartWorkflowAsync((InstanceWorkflow wf) => wf.RunAsync(input), new(workflowId, taskQueue));
            var outcome = await handle.GetResultAsync().WaitAsync(Limit);
            var histories = await RunHistoriesAsync(temporal.Client, workflowId, handle.ResultRunId!);
            var timers = histories
                .SelectMany(h => h.Events)
                .Where(e => e.TimerStartedEventAttributes is not null)
                .Select(e => e.TimerStartedEventAttributes.StartToFireTimeout.ToTimeSpan())
                .ToList();
            return new FinishedRun(instance, activities, outcome, histories, timers);
        });
    }

    /// <summary>Every run of the workflow, first to last, following continue-as-new.</summary>
    public static async Task<IReadOnlyList<WorkflowHistory>> RunHistoriesAsync(ITemporalClient client, string workflowId, string firstRunId)
    {
        var histories = new List<WorkflowHistory>();
        for (string? runId = firstRunId; !string.IsNullOrEmpty(runId);)
        {
            var history = await client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync();
            histories.Add(history);
            runId = history.Events.Last().WorkflowExecutionContinuedAsNewEventAttributes?.NewExecutionRunId;
        }
        return histories;
    }

    /// <summary>The input a run was started with (a continued run's carries the state handed over).</summary>
    public static async Task<InstanceWorkflowInput> InputOfAsync(WorkflowHistory history)
    {
        var payload = history.Events.First().WorkflowExecutionStartedEventAttributes.Input.Payloads_[0];
        return await DataConverter.Default.ToValueAsync<InstanceWorkflowInput>(payload);
    }
}

/// <summary>What a test's hooks need: the instance, its real activities, and the workflow to signal.</summary>
internal sealed record Scenario(SeededInstance Instance, InstanceActivities Activities, WorkflowHandle<InstanceWorkflow> Handle);

/// <summary>A finished workflow: its instance, the activities' log, the outcome, every run's history and all timers.</summary>
internal sealed record FinishedRun(
    SeededInstance Instance,
    DrivenInstanceActivities Activities,
    InstanceOutcome Outcome,
    IReadOnlyList<WorkflowHistory> Histories,
    IReadOnlyList<TimeSpan> Timers)
{
    /// <summary>Events in all runs together: the instance's lifetime.</summary>
    public int LifetimeEvents => Histories.Sum(h => h.Events.Count);
}
