using Temporalio.Activities;
using Temporalio.Workflows;

namespace TemporalDev.Bench;

/// <summary>The activity of the throughput benchmark.</summary>
public static class BenchActivities
{
    [Activity]
    public static string Echo(string value) => value;
}

/// <summary>One activity, then done: the throughput benchmark's workflow.</summary>
[Workflow]
public class OneActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string value) =>
        Workflow.ExecuteActivityAsync(() => BenchActivities.Echo(value), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
}

/// <summary>Parks on a long timer or a signal: the memory benchmark's workflow.</summary>
[Workflow]
public class ParkedWorkflow
{
    private bool released;

    [WorkflowRun]
    public Task RunAsync() => Workflow.WaitConditionAsync(() => released, TimeSpan.FromDays(1));

    [WorkflowSignal]
    public Task ReleaseAsync()
    {
        released = true;
        return Task.CompletedTask;
    }
}
