using Lifecycle.Testing.Temporal;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Worker;
using Xunit;

namespace TemporalDev.Tests.Schedules;

/// <summary>Tests sharing one time-skipping temporal-dev server of their own (their schedules move its clock).</summary>
[CollectionDefinition(Name)]
public sealed class SchedulesCollection : ICollectionFixture<TemporalFixture>
{
    public const string Name = "temporal-dev schedules";
}

/// <summary>
/// A schedule under test with a worker for its actions. On dispose it deletes the schedule and terminates the
/// actions still running, because a leftover action's workflow task would hold the shared server's clock.
/// </summary>
public sealed class ScheduleScope : IAsyncDisposable
{
    private readonly TemporalWorker worker;
    private readonly Task running;
    private readonly CancellationTokenSource stop = new();

    private ScheduleScope(TemporalFixture temporal, string id, string taskQueue)
    {
        Temporal = temporal;
        Id = id;
        TaskQueue = taskQueue;
        WorkflowId = $"{id}-wf";
        worker = new TemporalWorker(temporal.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<ScheduledWorkflow>());
        running = worker.ExecuteAsync(stop.Token);
    }

    public TemporalFixture Temporal { get; }

    public string Id { get; }

    public string TaskQueue { get; }

    /// <summary>Gets the action's workflow id (each start appends its nominal time).</summary>
    public string WorkflowId { get; }

    public ScheduleHandle Handle => Temporal.Client.GetScheduleHandle(Id);

    public static ScheduleScope Start(TemporalFixture temporal, string test) =>
        new(temporal, $"{test}-{Guid.NewGuid():N}", temporal.NewTaskQueue(test));

    public ScheduleActionStartWorkflow Action(ActionBehaviour behaviour) =>
        ScheduleActionStartWorkflow.Create((ScheduledWorkflow w) => w.RunAsync(behaviour), new WorkflowOptions(WorkflowId, TaskQueue));

    public Task<ScheduleHandle> CreateAsync(ScheduleSpec spec, ActionBehaviour behaviour = ActionBehaviour.Complete, SchedulePolicy? policy = null, ScheduleState? state = null, ScheduleOptions? options = null) =>
        Temporal.Client.CreateScheduleAsync(Id, new Schedule(Action(behaviour), spec) { Policy = policy ?? new(), State = state ?? new() }, options);

    /// <summary>Waits (by polling Describe, never by sleeping on time) until the schedule reaches a state.</summary>
    public async Task<ScheduleDescription> EventuallyAsync(Func<ScheduleDescription, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var described = await Handle.DescribeAsync();
            if (condition(described)) return described;
            Assert.True(DateTime.UtcNow < deadline, $"schedule {Id} never reached: {what}; actions {described.Info.NumActions}, running {described.Info.RunningActions.Count}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var described = await Handle.DescribeAsync();
            await Handle.DeleteAsync();
            foreach (var action in described.Info.RecentActions)
            {
                if (action.Action is not ScheduleActionExecutionStartWorkflow started) continue;
                try
                {
                    await Temporal.Client.GetWorkflowHandle(started.WorkflowId).TerminateAsync("schedule test over");
                }
                catch (Temporalio.Exceptions.RpcException)
                {
                    // Already closed.
                }
            }
        }
        catch (Temporalio.Exceptions.RpcException)
        {
            // The test deleted it.
        }

        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        worker.Dispose();
        stop.Dispose();
    }
}
