using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine;

/// <summary>Child workflows, parent close policies, and signals and cancels sent to other workflows.</summary>
public sealed partial class WorkflowEngine
{
    private void StartChild(Execution run, StartChildWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var ns = string.IsNullOrEmpty(command.Namespace) ? run.Namespace : command.Namespace;
        var attributes = new StartChildWorkflowExecutionInitiatedEventAttributes
        {
            Namespace = ns,
            WorkflowId = command.WorkflowId,
            WorkflowType = command.WorkflowType,
            TaskQueue = command.TaskQueue is { Name.Length: > 0 }
                ? new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal }
                : run.Start.TaskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = command.WorkflowExecutionTimeout,
            WorkflowRunTimeout = command.WorkflowRunTimeout,
            WorkflowTaskTimeout = command.WorkflowTaskTimeout,
            ParentClosePolicy = command.ParentClosePolicy == ParentClosePolicy.Unspecified ? ParentClosePolicy.Terminate : command.ParentClosePolicy,
            Control = command.Control,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            WorkflowIdReusePolicy = command.WorkflowIdReusePolicy,
            RetryPolicy = command.RetryPolicy,
            CronSchedule = command.CronSchedule,
            Header = command.Header,
            Memo = command.Memo,
            SearchAttributes = command.SearchAttributes,
            Priority = command.Priority,
        };
        var initiated = run.Append(EventType.StartChildWorkflowExecutionInitiated, Now, e => e.StartChildWorkflowExecutionInitiatedEventAttributes = attributes);
        var child = new ChildState { InitiatedEventId = initiated.EventId, Attributes = attributes };
        run.Children[initiated.EventId] = child;
        batch.AfterCompletion.Add(() => StartChildRun(run, child));
    }

    private void StartChildRun(Execution parent, ChildState child)
    {
        if (!parent.IsOpen) return;
        var a = child.Attributes;
        var existing = namespaces.Contains(a.Namespace) ? Current(a.Namespace, a.WorkflowId) : null;
        var rejected = !namespaces.Contains(a.Namespace) || existing is { IsOpen: true }
            || (existing is not null && a.WorkflowIdReusePolicy == WorkflowIdReusePolicy.RejectDuplicate)
            || (existing is not null && a.WorkflowIdReusePolicy == WorkflowIdReusePolicy.AllowDuplicateFailedOnly
                && existing.Status is WorkflowExecutionStatus.Completed or WorkflowExecutionStatus.ContinuedAsNew);
        if (rejected)
        {
            parent.Children.Remove(child.InitiatedEventId);
            AddEventForWorkflow(parent, () => parent.Append(EventType.StartChildWorkflowExecutionFailed, Now, e => e.StartChildWorkflowExecutionFailedEventAttributes = new StartChildWorkflowExecutionFailedEventAttributes
            {
                Namespace = a.Namespace,
                WorkflowId = a.WorkflowId,
                WorkflowType = a.WorkflowType,
                Cause = namespaces.Contains(a.Namespace) ? StartChildWorkflowExecutionFailedCause.WorkflowAlreadyExists : StartChildWorkflowExecutionFailedCause.NamespaceNotFound,
                Control = a.Control,
                InitiatedEventId = child.InitiatedEventId,
                WorkflowTaskCompletedEventId = a.WorkflowTaskCompletedEventId,
            }));
            return;
        }

        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = a.WorkflowType,
            TaskQueue = a.TaskQueue,
            Input = a.Input,
            WorkflowExecutionTimeout = a.WorkflowExecutionTimeout,
            WorkflowRunTimeout = a.WorkflowRunTimeout,
            WorkflowTaskTimeout = a.WorkflowTaskTimeout,
            RetryPolicy = a.RetryPolicy,
            CronSchedule = a.CronSchedule,
            Header = a.Header,
            Memo = a.Memo,
            SearchAttributes = a.SearchAttributes,
            ParentInitiatedEventId = child.InitiatedEventId,
            Attempt = 1,
            Identity = parent.Start.Identity,
        };
        var run = CreateRun(a.Namespace, a.WorkflowId, NewId(), started, NewId(), parent);
        run.ParentInitiatedEventId = child.InitiatedEventId;
        child.RunId = run.RunId;
        var execution = run.Ref;
        AddEventForWorkflow(parent, () => child.StartedEventId = parent.Append(EventType.ChildWorkflowExecutionStarted, Now, e => e.ChildWorkflowExecutionStartedEventAttributes = new ChildWorkflowExecutionStartedEventAttributes
        {
            Namespace = a.Namespace,
            InitiatedEventId = child.InitiatedEventId,
            WorkflowExecution = execution,
            WorkflowType = a.WorkflowType,
            Header = a.Header,
        }).EventId);
    }

    /// <summary>Tells the parent that its child (the last run of the child's chain) closed.</summary>
    private void NotifyParent(Execution run)
    {
        if (run.Parent is not { IsOpen: true } parent || !parent.Children.Remove(run.ParentInitiatedEventId, out var child)) return;
        var execution = new WorkflowExecution { WorkflowId = run.WorkflowId, RunId = run.Start.FirstExecutionRunId };
        var close = run.CloseEvent!;
        var ns = run.Namespace;
        var type = run.Start.WorkflowType;
        AddEventForWorkflow(parent, () =>
        {
            var now = Now;
            switch (close.EventType)
            {
                case EventType.WorkflowExecutionCompleted:
                    parent.Append(EventType.ChildWorkflowExecutionCompleted, now, e => e.ChildWorkflowExecutionCompletedEventAttributes = new ChildWorkflowExecutionCompletedEventAttributes
                    {
                        Result = close.WorkflowExecutionCompletedEventAttributes.Result,
                        Namespace = ns,
                        WorkflowExecution = execution,
                        WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId,
                        StartedEventId = child.StartedEventId,
                    });
                    break;
                case EventType.WorkflowExecutionFailed:
                    parent.Append(EventType.ChildWorkflowExecutionFailed, now, e => e.ChildWorkflowExecutionFailedEventAttributes = new ChildWorkflowExecutionFailedEventAttributes
                    {
                        Failure = close.WorkflowExecutionFailedEventAttributes.Failure,
                        Namespace = ns,
                        WorkflowExecution = execution,
                        WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId,
                        StartedEventId = child.StartedEventId,
                        RetryState = close.WorkflowExecutionFailedEventAttributes.RetryState,
                    });
                    break;
                case EventType.WorkflowExecutionCanceled:
                    parent.Append(EventType.ChildWorkflowExecutionCanceled, now, e => e.ChildWorkflowExecutionCanceledEventAttributes = new ChildWorkflowExecutionCanceledEventAttributes
                    {
                        Details = close.WorkflowExecutionCanceledEventAttributes.Details,
                        Namespace = ns,
                        WorkflowExecution = execution,
                        WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId,
                        StartedEventId = child.StartedEventId,
                    });
                    break;
                case EventType.WorkflowExecutionTimedOut:
                    parent.Append(EventType.ChildWorkflowExecutionTimedOut, now, e => e.ChildWorkflowExecutionTimedOutEventAttributes = new ChildWorkflowExecutionTimedOutEventAttributes
                    {
                        Namespace = ns,
                        WorkflowExecution = execution,
                        WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId,
                        StartedEventId = child.StartedEventId,
                        RetryState = close.WorkflowExecutionTimedOutEventAttributes.RetryState,
                    });
                    break;
                default:
                    parent.Append(EventType.ChildWorkflowExecutionTerminated, now, e => e.ChildWorkflowExecutionTerminatedEventAttributes = new ChildWorkflowExecutionTerminatedEventAttributes
                    {
                        Namespace = ns,
                        WorkflowExecution = execution,
                        WorkflowType = type,
                        InitiatedEventId = child.InitiatedEventId,
                        StartedEventId = child.StartedEventId,
                    });
                    break;
            }
        });
    }

    private void ApplyParentClosePolicies(Execution parent)
    {
        foreach (var child in parent.Children.Values.ToList())
        {
            if (string.IsNullOrEmpty(child.RunId)) continue;
            if (Current(child.Attributes.Namespace, child.Attributes.WorkflowId) is not { IsOpen: true } run || run.Parent != parent) continue;
            switch (child.Attributes.ParentClosePolicy)
            {
                case ParentClosePolicy.Abandon:
                    break;
                case ParentClosePolicy.RequestCancel:
                    RequestCancel(run, "by parent close policy", "temporal-dev", null, null);
                    break;
                default:
                    Terminate(run, "by parent close policy", null, "temporal-dev");
                    break;
            }
        }
    }

    private void SignalExternal(Execution run, SignalExternalWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var ns = string.IsNullOrEmpty(command.Namespace) ? run.Namespace : command.Namespace;
        var initiated = run.Append(EventType.SignalExternalWorkflowExecutionInitiated, Now, e => e.SignalExternalWorkflowExecutionInitiatedEventAttributes = new SignalExternalWorkflowExecutionInitiatedEventAttributes
        {
            Namespace = ns,
            WorkflowExecution = command.Execution,
            SignalName = command.SignalName,
            Input = command.Input,
            Control = command.Control,
            ChildWorkflowOnly = command.ChildWorkflowOnly,
            Header = command.Header,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
        });
        var initiatedId = initiated.EventId;
        batch.AfterCompletion.Add(() =>
        {
            if (!run.IsOpen) return;
            var target = External(ns, command.Execution);
            if (target is { IsOpen: true })
            {
                Signal(target, command.SignalName, command.Input, command.Header, batch.Identity, NewId());
                AddEventForWorkflow(run, () => run.Append(EventType.ExternalWorkflowExecutionSignaled, Now, e => e.ExternalWorkflowExecutionSignaledEventAttributes = new ExternalWorkflowExecutionSignaledEventAttributes
                {
                    InitiatedEventId = initiatedId,
                    Namespace = ns,
                    WorkflowExecution = command.Execution,
                    Control = command.Control,
                }));
            }
            else
            {
                AddEventForWorkflow(run, () => run.Append(EventType.SignalExternalWorkflowExecutionFailed, Now, e => e.SignalExternalWorkflowExecutionFailedEventAttributes = new SignalExternalWorkflowExecutionFailedEventAttributes
                {
                    Cause = SignalExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = batch.CompletedEventId,
                    Namespace = ns,
                    WorkflowExecution = command.Execution,
                    InitiatedEventId = initiatedId,
                    Control = command.Control,
                }));
            }
        });
    }

    private void CancelExternal(Execution run, RequestCancelExternalWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var ns = string.IsNullOrEmpty(command.Namespace) ? run.Namespace : command.Namespace;
        var execution = new WorkflowExecution { WorkflowId = command.WorkflowId, RunId = command.RunId };
        var initiated = run.Append(EventType.RequestCancelExternalWorkflowExecutionInitiated, Now, e => e.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes = new RequestCancelExternalWorkflowExecutionInitiatedEventAttributes
        {
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            Namespace = ns,
            WorkflowExecution = execution,
            Control = command.Control,
            ChildWorkflowOnly = command.ChildWorkflowOnly,
            Reason = command.Reason,
        });
        var initiatedId = initiated.EventId;
        batch.AfterCompletion.Add(() =>
        {
            if (!run.IsOpen) return;
            var target = External(ns, execution);
            if (target is { IsOpen: true })
            {
                RequestCancel(target, command.Reason, batch.Identity, initiatedId, run.Ref);
                AddEventForWorkflow(run, () => run.Append(EventType.ExternalWorkflowExecutionCancelRequested, Now, e => e.ExternalWorkflowExecutionCancelRequestedEventAttributes = new ExternalWorkflowExecutionCancelRequestedEventAttributes
                {
                    InitiatedEventId = initiatedId,
                    Namespace = ns,
                    WorkflowExecution = execution,
                }));
            }
            else
            {
                AddEventForWorkflow(run, () => run.Append(EventType.RequestCancelExternalWorkflowExecutionFailed, Now, e => e.RequestCancelExternalWorkflowExecutionFailedEventAttributes = new RequestCancelExternalWorkflowExecutionFailedEventAttributes
                {
                    Cause = CancelExternalWorkflowExecutionFailedCause.ExternalWorkflowExecutionNotFound,
                    WorkflowTaskCompletedEventId = batch.CompletedEventId,
                    Namespace = ns,
                    WorkflowExecution = execution,
                    InitiatedEventId = initiatedId,
                    Control = command.Control,
                }));
            }
        });
    }

    private Execution? External(string ns, WorkflowExecution execution)
    {
        if (!namespaces.Contains(ns)) return null;
        if (!string.IsNullOrEmpty(execution.RunId))
        {
            return runs.TryGetValue(execution.RunId, out var run) && run.WorkflowId == execution.WorkflowId ? run : null;
        }

        return Current(ns, execution.WorkflowId);
    }
}
