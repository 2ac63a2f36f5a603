using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Workflows;

/// <summary>Activities the engine tests schedule.</summary>
public class TestActivities
{
    private int flakyCalls;

    public int FlakyCalls => flakyCalls;

    [Activity]
    public string Greet(string name) => $"Hello, {name}!";

    /// <summary>Fails until the given attempt, then succeeds with the attempt number.</summary>
    [Activity]
    public int FailUntil(int attempt)
    {
        Interlocked.Increment(ref flakyCalls);
        var info = ActivityExecutionContext.Current.Info;
        if (info.Attempt < attempt) throw new ApplicationFailureException($"attempt {info.Attempt} fails", "Flaky");
        return info.Attempt;
    }

    [Activity]
    public void FailNonRetryable()
    {
        Interlocked.Increment(ref flakyCalls);
        throw new ApplicationFailureException("no point retrying", "Fatal", nonRetryable: true);
    }

    /// <summary>Sleeps (really) for the given time, heartbeating every 50 ms when asked to.</summary>
    [Activity]
    public async Task<int> SleepAsync(int milliseconds, bool heartbeat)
    {
        var context = ActivityExecutionContext.Current;
        var until = DateTime.UtcNow.AddMilliseconds(milliseconds);
        var detail = context.Info.HeartbeatDetails.Count > 0 ? await context.Info.HeartbeatDetailAtAsync<int>(0) : 0;
        while (DateTime.UtcNow < until)
        {
            if (heartbeat) context.Heartbeat(++detail);
            await Task.Delay(50, context.CancellationToken);
        }

        return detail;
    }

    /// <summary>Heartbeats a counter, failing on the first attempt, so the next attempt sees the last details.</summary>
    [Activity]
    public async Task<int> ResumeFromHeartbeatAsync()
    {
        var context = ActivityExecutionContext.Current;
        var start = context.Info.HeartbeatDetails.Count > 0 ? await context.Info.HeartbeatDetailAtAsync<int>(0) : 0;
        if (context.Info.Attempt == 1)
        {
            context.Heartbeat(41);
            await Task.Delay(1500, context.CancellationToken);
            throw new ApplicationFailureException("first attempt fails after heartbeating");
        }

        return start + 1;
    }
}

[Workflow]
public class GreetingWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string name) =>
        Workflow.ExecuteActivityAsync((TestActivities a) => a.Greet(name), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
}

[Workflow]
public class TimerWorkflow
{
    [WorkflowRun]
    public async Task<DateTime> RunAsync(TimeSpan wait)
    {
        await Workflow.DelayAsync(wait);
        return Workflow.UtcNow;
    }
}

[Workflow]
public class SignalQueryWorkflow
{
    private readonly List<string> received = [];
    private bool done;

    [WorkflowRun]
    public async Task<List<string>> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => done);
        return received;
    }

    [WorkflowSignal]
    public Task AddAsync(string item)
    {
        received.Add(item);
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        done = true;
        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public List<string> Items() => received;

    [WorkflowQuery]
    public string Broken() => throw new InvalidOperationException("this query always fails");
}

[Workflow]
public class ActivityRetryWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync(int succeedOnAttempt) =>
        Workflow.ExecuteActivityAsync(
            (TestActivities a) => a.FailUntil(succeedOnAttempt),
            new()
            {
                StartToCloseTimeout = TimeSpan.FromSeconds(10),
                RetryPolicy = new() { InitialInterval = TimeSpan.FromSeconds(30), BackoffCoefficient = 2, MaximumAttempts = 5 },
            });
}

[Workflow]
public class NonRetryableWorkflow
{
    [WorkflowRun]
    public Task RunAsync() =>
        Workflow.ExecuteActivityAsync(
            (TestActivities a) => a.FailNonRetryable(),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(10), RetryPolicy = new() { MaximumAttempts = 5 } });
}

/// <summary>Runs one activity with the given timeouts and returns how it ended.</summary>
[Workflow]
public class ActivityTimeoutWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(ActivityTimeoutCase c)
    {
        try
        {
            await Workflow.ExecuteActivityAsync(
                (TestActivities a) => a.SleepAsync(c.SleepMs, c.Heartbeat),
                new()
                {
                    TaskQueue = c.TaskQueue,
                    StartToCloseTimeout = c.StartToClose,
                    ScheduleToCloseTimeout = c.ScheduleToClose,
                    ScheduleToStartTimeout = c.ScheduleToStart,
                    HeartbeatTimeout = c.HeartbeatTimeout,
                    RetryPolicy = new() { MaximumAttempts = c.MaxAttempts, InitialInterval = TimeSpan.FromMilliseconds(100) },
                });
            return "completed";
        }
        catch (ActivityFailureException e) when (e.InnerException is TimeoutFailureException t)
        {
            return $"timeout:{t.TimeoutType}";
        }
    }
}

/// <summary>One activity-timeout scenario.</summary>
public record ActivityTimeoutCase(
    int SleepMs,
    bool Heartbeat,
    int MaxAttempts,
    TimeSpan? StartToClose = null,
    TimeSpan? ScheduleToClose = null,
    TimeSpan? ScheduleToStart = null,
    TimeSpan? HeartbeatTimeout = null,
    string? TaskQueue = null);

[Workflow]
public class HeartbeatResumeWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync() =>
        Workflow.ExecuteActivityAsync(
            (TestActivities a) => a.ResumeFromHeartbeatAsync(),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(10), RetryPolicy = new() { InitialInterval = TimeSpan.FromMilliseconds(10), MaximumAttempts = 3 } });
}

/// <summary>Starts a heartbeating activity, then cancels it; returns whether the activity saw the cancel.</summary>
[Workflow]
public class ActivityCancelWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Workflow.CancellationToken);
        var activity = Workflow.ExecuteActivityAsync(
            (TestActivities a) => a.SleepAsync(30_000, true),
            new()
            {
                StartToCloseTimeout = TimeSpan.FromMinutes(1),
                HeartbeatTimeout = TimeSpan.FromSeconds(5),
                CancellationToken = cancel.Token,
                CancellationType = ActivityCancellationType.WaitCancellationCompleted,
            });
        await Workflow.DelayAsync(TimeSpan.FromMilliseconds(300));
#pragma warning disable CA1849, VSTHRD103 // CancelAsync schedules on the thread pool, which workflows must not use.
        cancel.Cancel();
#pragma warning restore CA1849, VSTHRD103
        try
        {
            await activity;
            return "completed";
        }
        catch (ActivityFailureException e) when (e.InnerException is CanceledFailureException)
        {
            return "canceled";
        }
    }
}
