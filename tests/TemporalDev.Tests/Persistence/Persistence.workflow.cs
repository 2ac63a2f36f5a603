using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Persistence;

/// <summary>Waits on a two-second wall-clock timer.</summary>
[Workflow("PersistTimer")]
public class PersistTimerWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.DelayAsync(TimeSpan.FromSeconds(2));
        return "timer fired";
    }
}

/// <summary>Waits for one signal and returns its value.</summary>
[Workflow("PersistSignal")]
public class PersistSignalWorkflow
{
    private string? value;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => value is not null);
        return $"signaled {value}";
    }

    [WorkflowSignal]
    public Task ProceedAsync(string proceedWith)
    {
        value = proceedWith;
        return Task.CompletedTask;
    }
}

/// <summary>Runs one activity whose first attempt hangs after a heartbeat (heartbeat timeout 2 s).</summary>
[Workflow("PersistActivity")]
public class PersistActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync() => Workflow.ExecuteActivityAsync(
        (PersistenceActivities a) => a.HangOnFirstAttemptAsync(),
        new()
        {
            StartToCloseTimeout = TimeSpan.FromMinutes(1),
            HeartbeatTimeout = TimeSpan.FromSeconds(2),
            RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromMilliseconds(100), MaximumAttempts = 5 },
        });
}

/// <summary>Runs one activity whose first attempt fails after a heartbeat; the retry waits 3 s.</summary>
[Workflow("PersistBackoff")]
public class PersistBackoffWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync() => Workflow.ExecuteActivityAsync(
        (PersistenceActivities a) => a.FailFirstAttemptAsync(),
        new()
        {
            StartToCloseTimeout = TimeSpan.FromMinutes(1),
            RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(3), MaximumAttempts = 5 },
        });
}

/// <summary>Continues as new every second until the last iteration.</summary>
[Workflow("PersistChain")]
public class PersistChainWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int iteration, int last)
    {
        if (iteration >= last) return $"finished at {iteration}";
        await Workflow.DelayAsync(TimeSpan.FromSeconds(1));
        throw Workflow.CreateContinueAsNewException((PersistChainWorkflow w) => w.RunAsync(iteration + 1, last));
    }
}

/// <summary>Completes at once with its input.</summary>
[Workflow("PersistEcho")]
public class PersistEchoWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string text) => Task.FromResult($"echo {text}");
}

/// <summary>The activity of <see cref="PersistActivityWorkflow"/>.</summary>
public class PersistenceActivities
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<int> attempts = new();

    /// <summary>Gets the attempts this worker's instance ran, in order.</summary>
    public IReadOnlyCollection<int> Attempts => attempts;

    /// <summary>Attempt 1 heartbeats "progress-1" and never returns; later attempts report their attempt and the details they resumed from.</summary>
    [Activity]
    public async Task<string> HangOnFirstAttemptAsync()
    {
        var context = ActivityExecutionContext.Current;
        if (context.Info.Attempt == 1)
        {
            context.Heartbeat("progress-1");
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        var details = context.Info.HeartbeatDetails.Count > 0 ? await context.Info.HeartbeatDetailAtAsync<string>(0) : "none";
        return $"attempt {context.Info.Attempt} resumed from {details}";
    }

    /// <summary>Attempt 1 heartbeats "progress-1" and fails; later attempts report their attempt and the details they resumed from.</summary>
    [Activity]
    public async Task<string> FailFirstAttemptAsync()
    {
        var context = ActivityExecutionContext.Current;
        attempts.Enqueue(context.Info.Attempt);
        if (context.Info.Attempt == 1)
        {
            context.Heartbeat("progress-1");
            throw new Temporalio.Exceptions.ApplicationFailureException("attempt 1 fails", "Flaky");
        }

        var details = context.Info.HeartbeatDetails.Count > 0 ? await context.Info.HeartbeatDetailAtAsync<string>(0) : "none";
        return $"attempt {context.Info.Attempt} resumed from {details}";
    }
}

/// <summary>Starts a <see cref="PersistSignalWorkflow"/> child and returns what it returned.</summary>
[Workflow("PersistParent")]
public class PersistParentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string childId)
    {
        var result = await Workflow.ExecuteChildWorkflowAsync((PersistSignalWorkflow w) => w.RunAsync(), new() { Id = childId });
        return $"parent got {result}";
    }
}

/// <summary>Counts accepted updates until signalled to finish, returning the count.</summary>
[Workflow("PersistCounter")]
public class PersistCounterWorkflow
{
    private int count;
    private bool finish;

    [WorkflowRun]
    public async Task<int> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => finish);
        return count;
    }

    [WorkflowUpdate]
    public Task<int> AddAsync()
    {
        count++;
        return Task.FromResult(count);
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        finish = true;
        return Task.CompletedTask;
    }
}
