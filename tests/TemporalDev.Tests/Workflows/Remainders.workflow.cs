using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Workflows;

/// <summary>A cron run: returns the virtual time its first workflow task saw.</summary>
[Workflow]
public class CronTickWorkflow
{
    [WorkflowRun]
    public Task<DateTime> RunAsync() => Task.FromResult(Workflow.UtcNow);
}

/// <summary>An activity completed from outside the worker (AsyncActivityHandle by workflow and activity id).</summary>
public static class ExternalActivities
{
    [Activity]
    public static string WaitForExternal() => throw new CompleteAsyncException();
}

/// <summary>Runs the externally completed activity and reports how it ended.</summary>
[Workflow]
public class ExternalActivityWorkflow
{
    public const string ActivityId = "external";

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        try
        {
            return await Workflow.ExecuteActivityAsync(() => ExternalActivities.WaitForExternal(), new()
            {
                ActivityId = ActivityId,
                StartToCloseTimeout = TimeSpan.FromHours(1),
                RetryPolicy = new() { MaximumAttempts = 1 },
                CancellationType = ActivityCancellationType.WaitCancellationCompleted,
            });
        }
        catch (ActivityFailureException e) when (e.InnerException is ApplicationFailureException failure)
        {
            return $"failed: {failure.Message}";
        }
        catch (ActivityFailureException e) when (e.InnerException is CanceledFailureException)
        {
            return "canceled";
        }
    }
}

/// <summary>Continues as new every half hour, for ever: only an execution timeout ends it.</summary>
[Workflow]
public class HalfHourlyWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(int generation)
    {
        await Workflow.DelayAsync(TimeSpan.FromMinutes(30));
        throw Workflow.CreateContinueAsNewException((HalfHourlyWorkflow w) => w.RunAsync(generation + 1));
    }
}

/// <summary>Always fails, naming its attempt: only its retry policy and execution timeout end it.</summary>
[Workflow]
public class AlwaysFailingWorkflow
{
    [WorkflowRun]
    public Task RunAsync() => throw new ApplicationFailureException($"attempt {Workflow.Info.Attempt} fails");
}
