using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace TemporalDev.Tests.Schedules;

/// <summary>What a scheduled action does in a test.</summary>
public enum ActionBehaviour
{
    /// <summary>Completes at once with its scheduled workflow id.</summary>
    Complete,

    /// <summary>Runs until signalled to finish (or canceled).</summary>
    WaitForFinish,

    /// <summary>Fails with "boom".</summary>
    Fail,

    /// <summary>Completes with the previous action's result (the schedule's last completion result), or "none".</summary>
    ReportLast,
}

/// <summary>The workflow every schedule test starts.</summary>
[Workflow]
public class ScheduledWorkflow
{
    private bool finish;

    [WorkflowRun]
    public async Task<string> RunAsync(ActionBehaviour behaviour)
    {
        switch (behaviour)
        {
            case ActionBehaviour.WaitForFinish:
                await Workflow.WaitConditionAsync(() => finish);
                break;
            case ActionBehaviour.Fail:
                throw new ApplicationFailureException("boom");
            case ActionBehaviour.ReportLast:
                return Workflow.Info.LastResult is { Count: > 0 } last
                    ? $"after {Workflow.PayloadConverter.ToValue(last.First().Payload, typeof(string))}"
                    : "none";
            default:
                break;
        }

        return Workflow.Info.WorkflowId;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        finish = true;
        return Task.CompletedTask;
    }
}
