using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>Signals, cancel requests and termination from clients and other workflows.</summary>
public sealed partial class WorkflowEngine
{
    public SignalWorkflowExecutionResponse SignalWorkflowExecution(SignalWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.SignalName)) throw RpcErrors.InvalidArgument("signal_name: required");
        lock (gate)
        {
            var run = Find(request.Namespace, request.WorkflowExecution?.WorkflowId ?? string.Empty, request.WorkflowExecution?.RunId);
            Signal(run, request.SignalName, request.Input, request.Header, request.Identity, request.RequestId);
            return new SignalWorkflowExecutionResponse();
        }
    }

    private void Signal(Execution run, string name, Payloads? input, Header? header, string identity, string requestId)
    {
        if (!run.IsOpen) throw RpcErrors.AlreadyCompleted();
        if (!string.IsNullOrEmpty(requestId) && !run.RequestIds.Add(requestId)) return;
        AddEventForWorkflow(run, () => run.Append(EventType.WorkflowExecutionSignaled, Now, e => e.WorkflowExecutionSignaledEventAttributes = new WorkflowExecutionSignaledEventAttributes
        {
            SignalName = name,
            Input = input,
            Identity = identity,
            Header = header,
        }));
    }

    public RequestCancelWorkflowExecutionResponse RequestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest request)
    {
        lock (gate)
        {
            var run = FindForControl(request.Namespace, request.WorkflowExecution?.WorkflowId ?? string.Empty, request.WorkflowExecution?.RunId, request.FirstExecutionRunId);
            if (!run.IsOpen) throw RpcErrors.AlreadyCompleted();
            if (!string.IsNullOrEmpty(request.RequestId) && !run.RequestIds.Add(request.RequestId)) return new RequestCancelWorkflowExecutionResponse();
            RequestCancel(run, request.Reason, request.Identity, null, null);
            return new RequestCancelWorkflowExecutionResponse();
        }
    }

    private void RequestCancel(Execution run, string reason, string identity, long? externalInitiatedId, WorkflowExecution? external)
    {
        if (!run.IsOpen || run.CancelRequested) return;
        run.CancelRequested = true;
        AddEventForWorkflow(run, () => run.Append(EventType.WorkflowExecutionCancelRequested, Now, e => e.WorkflowExecutionCancelRequestedEventAttributes = new WorkflowExecutionCancelRequestedEventAttributes
        {
            Cause = reason,
            Identity = identity,
            ExternalInitiatedEventId = externalInitiatedId ?? 0,
            ExternalWorkflowExecution = external,
        }));
    }

    public TerminateWorkflowExecutionResponse TerminateWorkflowExecution(TerminateWorkflowExecutionRequest request)
    {
        lock (gate)
        {
            var run = FindForControl(request.Namespace, request.WorkflowExecution?.WorkflowId ?? string.Empty, request.WorkflowExecution?.RunId, request.FirstExecutionRunId);
            if (!run.IsOpen) throw RpcErrors.AlreadyCompleted();
            Terminate(run, request.Reason, request.Details, request.Identity);
            return new TerminateWorkflowExecutionResponse();
        }
    }
}
