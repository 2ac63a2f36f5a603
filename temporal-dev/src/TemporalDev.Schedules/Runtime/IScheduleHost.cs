using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.WorkflowService.V1;

namespace TemporalDev.Schedules.Runtime;

/// <summary>What a schedule needs from the server it runs in: the clock and the workflows it starts and watches.</summary>
public interface IScheduleHost
{
    /// <summary>Gets the server's (virtual) now.</summary>
    DateTimeOffset Now { get; }

    /// <summary>Starts an action's workflow; an id conflict or a bad request is an outcome with an error, not an exception.</summary>
    StartOutcome StartWorkflow(StartWorkflowExecutionRequest request);

    /// <summary>Requests cancellation of the newest run of an action's chain (CancelOther).</summary>
    void CancelWorkflow(WorkflowExecution execution, string reason, string identity);

    /// <summary>Terminates the newest run of an action's chain (TerminateOther).</summary>
    void TerminateWorkflow(WorkflowExecution execution, string reason, string identity);

    /// <summary>The status of the chain an action started (its run id is the chain's first run id); Unspecified when it is gone.</summary>
    ActionStatus Watch(WorkflowExecution execution);
}

/// <summary>The run id of a started action, or why it did not start.</summary>
public sealed record StartOutcome(string? RunId, string? Error);

/// <summary>How an action's chain stands: running, or closed with its result or failure.</summary>
public sealed record ActionStatus(WorkflowExecutionStatus Status, Payloads? Result = null, Failure? Failure = null);
