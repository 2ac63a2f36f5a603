using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Workflows;

/// <summary>Waits for cancellation or a long timer.</summary>
[Workflow]
public class WaitForeverWorkflow
{
    [WorkflowRun]
    public Task RunAsync() => Workflow.DelayAsync(TimeSpan.FromDays(365));
}

/// <summary>Fails its first workflow tasks with a non-Temporal exception (a task failure), then completes.</summary>
[Workflow]
public class FlakyTaskWorkflow
{
    private static readonly Dictionary<string, int> Attempts = [];

    [WorkflowRun]
    public Task<int> RunAsync(int failures)
    {
        var id = Workflow.Info.WorkflowId;
        int seen;
        lock (Attempts)
        {
            Attempts[id] = seen = Attempts.GetValueOrDefault(id) + 1;
        }

        if (seen <= failures) throw new InvalidOperationException($"task failure {seen}");
        return Task.FromResult(seen);
    }
}

/// <summary>Fails as a workflow (ApplicationFailure) on its first attempt; a retry policy runs it again.</summary>
[Workflow]
public class RetriedWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync()
    {
        if (Workflow.Info.Attempt < 2) throw new ApplicationFailureException("first attempt fails");
        return Task.FromResult(Workflow.Info.Attempt);
    }
}

/// <summary>Continues as new until the counter reaches the limit.</summary>
[Workflow]
public class CountingWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int count, int limit)
    {
        await Workflow.DelayAsync(TimeSpan.FromMinutes(1));
        if (count < limit) throw Workflow.CreateContinueAsNewException((CountingWorkflow w) => w.RunAsync(count + 1, limit));
        return count;
    }
}

[Workflow]
public class ChildWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        await Workflow.DelayAsync(TimeSpan.FromMinutes(5));
        if (input == "fail") throw new ApplicationFailureException("child failed", "ChildError");
        return input.ToUpperInvariant();
    }
}

[Workflow]
public class ParentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input)
    {
        try
        {
            return await Workflow.ExecuteChildWorkflowAsync((ChildWorkflow c) => c.RunAsync(input), new() { Id = $"{Workflow.Info.WorkflowId}-child" });
        }
        catch (ChildWorkflowFailureException e) when (e.InnerException is ApplicationFailureException app)
        {
            return $"child failed: {app.ErrorType}";
        }
    }
}

/// <summary>Starts a child and abandons it or not, then completes; the parent close policy decides the child's fate.</summary>
[Workflow]
public class ClosingParentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(bool abandon)
    {
        var child = await Workflow.StartChildWorkflowAsync(
            (WaitForeverWorkflow w) => w.RunAsync(),
            new() { Id = $"{Workflow.Info.WorkflowId}-child", ParentClosePolicy = abandon ? ParentClosePolicy.Abandon : ParentClosePolicy.Terminate });
        return child.Id;
    }
}

/// <summary>Signals another workflow, then reports success or NotFound.</summary>
[Workflow]
public class SignalSenderWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string targetId)
    {
        try
        {
            await Workflow.GetExternalWorkflowHandle<SignalQueryWorkflow>(targetId).SignalAsync(w => w.AddAsync("from another workflow"));
            return "sent";
        }
        catch (ApplicationFailureException e)
        {
            return $"failed: {e.Message}";
        }
    }
}

/// <summary>Upserts a search attribute and the memo, then waits for a signal.</summary>
[Workflow]
public class PropertiesWorkflow
{
    public static readonly Temporalio.Common.SearchAttributeKey<string> Color = Temporalio.Common.SearchAttributeKey.CreateKeyword("Color");

    private bool done;

    [WorkflowRun]
    public async Task RunAsync()
    {
        Workflow.UpsertTypedSearchAttributes(Color.ValueSet("blue"));
        Workflow.UpsertMemo(MemoUpdate.ValueSet("owner", "platform"));
        await Workflow.WaitConditionAsync(() => done);
    }

    [WorkflowSignal]
    public Task DoneAsync()
    {
        done = true;
        return Task.CompletedTask;
    }
}

/// <summary>Runs a local activity (a MarkerRecorded event).</summary>
[Workflow]
public class LocalActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string name) =>
        Workflow.ExecuteLocalActivityAsync((TestActivities a) => a.Greet(name), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
}
