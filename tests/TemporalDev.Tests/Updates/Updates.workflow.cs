using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Updates;

/// <summary>Collects items through updates until told to finish; one update waits for a release signal.</summary>
[Workflow]
public class UpdatableWorkflow
{
    private readonly List<string> items = [];
    private bool finished;
    private bool released;

    [WorkflowRun]
    public async Task<List<string>> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => finished);
        return items;
    }

    /// <summary>Adds an item and answers how many there are.</summary>
    [WorkflowUpdate]
    public Task<int> AddAsync(string item)
    {
        items.Add(item);
        return Task.FromResult(items.Count);
    }

    [WorkflowUpdateValidator(nameof(AddAsync))]
    public void ValidateAdd(string item)
    {
        if (string.IsNullOrEmpty(item)) throw new ArgumentException("item: must not be empty");
    }

    /// <summary>An update whose handler fails after it was accepted.</summary>
    [WorkflowUpdate]
    public Task<int> BreakAsync(string reason) => throw new ApplicationFailureException($"update failed: {reason}", "Broken");

    /// <summary>Accepted at once, completed only after the release signal.</summary>
    [WorkflowUpdate]
    public async Task<int> AddWhenReleasedAsync(string item)
    {
        await Workflow.WaitConditionAsync(() => released);
        items.Add(item);
        return items.Count;
    }

    [WorkflowSignal]
    public Task ReleaseAsync()
    {
        released = true;
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        finished = true;
        return Task.CompletedTask;
    }

    /// <summary>The items added so far.</summary>
    [WorkflowQuery]
    public IReadOnlyList<string> Items() => items;
}

/// <summary>Sleeps on a long durable timer, then returns what updates added meanwhile.</summary>
[Workflow]
public class SleepingUpdatableWorkflow
{
    private readonly List<string> items = [];

    [WorkflowRun]
    public async Task<List<string>> RunAsync(TimeSpan sleep)
    {
        await Workflow.DelayAsync(sleep);
        return items;
    }

    [WorkflowUpdate]
    public Task<string> AddAsync(string item)
    {
        items.Add(item);
        return Task.FromResult($"{item} at {Workflow.UtcNow:O}");
    }
}

/// <summary>Holds its first workflow task open on a local activity until the test releases it, then completes.</summary>
[Workflow]
public class ClosingWorkflow
{
    [WorkflowRun]
    public Task RunAsync() =>
        Workflow.ExecuteLocalActivityAsync(() => HeldTasks.HoldAsync(Workflow.Info.WorkflowId), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });

    [WorkflowUpdate]
    public Task<int> AddAsync(string item) => Task.FromResult(item.Length);
}

/// <summary>Continues as new once its first task is released; the new run waits for an update.</summary>
[Workflow]
public class ContinuingWorkflow
{
    private bool asked;

    [WorkflowRun]
    public async Task<string> RunAsync(bool continued)
    {
        if (!continued)
        {
            await Workflow.ExecuteLocalActivityAsync(() => HeldTasks.HoldAsync(Workflow.Info.WorkflowId), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
            throw Workflow.CreateContinueAsNewException((ContinuingWorkflow w) => w.RunAsync(true));
        }

        await Workflow.WaitConditionAsync(() => asked);
        return Workflow.Info.RunId;
    }

    /// <summary>Answers which run the update reached: the run id it continued from, if any.</summary>
    [WorkflowUpdate]
    public Task<string> WhereAsync()
    {
        asked = true;
        return Task.FromResult(Workflow.Info.ContinuedRunId ?? "first run");
    }
}

/// <summary>A local activity that keeps a workflow task in flight until the test lets it go.</summary>
public static class HeldTasks
{
    private static readonly Dictionary<string, (TaskCompletionSource Started, TaskCompletionSource Released)> Held = [];

    private static (TaskCompletionSource Started, TaskCompletionSource Released) For(string workflowId)
    {
        lock (Held)
        {
            if (!Held.TryGetValue(workflowId, out var held))
            {
                Held[workflowId] = held = (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            return held;
        }
    }

    [Activity]
    public static async Task HoldAsync(string workflowId)
    {
        var held = For(workflowId);
        held.Started.TrySetResult();
        await held.Released.Task;
    }

    public static Task StartedAsync(string workflowId) => For(workflowId).Started.Task;

    public static void Release(string workflowId) => For(workflowId).Released.TrySetResult();
}
