using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>Starting runs: id reuse and conflict policies, request-id de-duplication, the first workflow task.</summary>
public sealed partial class WorkflowEngine
{
    private static readonly TimeSpan DefaultWorkflowTaskTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWorkflowTaskTimeout = TimeSpan.FromSeconds(120);

    public StartWorkflowExecutionResponse StartWorkflowExecution(StartWorkflowExecutionRequest request)
    {
        lock (gate)
        {
            CheckStartSearchAttributes(request.Namespace, request.SearchAttributes);
            var (run, started) = StartOrReuse(
                request.Namespace,
                request.WorkflowId,
                request.RequestId,
                request.WorkflowIdReusePolicy,
                request.WorkflowIdConflictPolicy,
                request.Identity,
                () => StartedAttributes(request));
            return new StartWorkflowExecutionResponse { RunId = run.RunId, Started = started, Status = run.Status };
        }
    }

    public SignalWithStartWorkflowExecutionResponse SignalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest request)
    {
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            if (string.IsNullOrEmpty(request.SignalName)) throw RpcErrors.InvalidArgument("signal_name: required");
            CheckStartSearchAttributes(request.Namespace, request.SearchAttributes);
            var current = Current(request.Namespace, request.WorkflowId);
            if (current is { IsOpen: true } && request.WorkflowIdConflictPolicy != WorkflowIdConflictPolicy.TerminateExisting)
            {
                Signal(current, request.SignalName, request.SignalInput, request.Header, request.Identity, request.RequestId);
                return new SignalWithStartWorkflowExecutionResponse { RunId = current.RunId, Started = false };
            }

            var start = new StartWorkflowExecutionRequest
            {
                Namespace = request.Namespace,
                WorkflowId = request.WorkflowId,
                WorkflowType = request.WorkflowType,
                TaskQueue = request.TaskQueue,
                Input = request.Input,
                WorkflowExecutionTimeout = request.WorkflowExecutionTimeout,
                WorkflowRunTimeout = request.WorkflowRunTimeout,
                WorkflowTaskTimeout = request.WorkflowTaskTimeout,
                Identity = request.Identity,
                RequestId = request.RequestId,
                RetryPolicy = request.RetryPolicy,
                CronSchedule = request.CronSchedule,
                Memo = request.Memo,
                SearchAttributes = request.SearchAttributes,
                Header = request.Header,
                WorkflowStartDelay = request.WorkflowStartDelay,
            };
            var (run, _) = StartOrReuse(
                request.Namespace,
                request.WorkflowId,
                request.RequestId,
                request.WorkflowIdReusePolicy,
                WorkflowIdConflictPolicy.TerminateExisting,
                request.Identity,
                () => StartedAttributes(start),
                afterStarted: r => Signal(r, request.SignalName, request.SignalInput, request.Header, request.Identity, requestId: string.Empty));
            return new SignalWithStartWorkflowExecutionResponse { RunId = run.RunId, Started = true };
        }
    }

    /// <summary>Applies the reuse and conflict policies, then starts a run; returns the run and whether it is new.</summary>
    private (Execution Run, bool Started) StartOrReuse(
        string ns,
        string workflowId,
        string requestId,
        WorkflowIdReusePolicy reuse,
        WorkflowIdConflictPolicy conflict,
        string identity,
        Func<WorkflowExecutionStartedEventAttributes> attributes,
        Action<Execution>? afterStarted = null)
    {
        RequireNamespace(ns);
        if (string.IsNullOrEmpty(workflowId)) throw RpcErrors.InvalidArgument("workflow_id: required");
        var current = Current(ns, workflowId);
        if (current is not null && !string.IsNullOrEmpty(requestId) && current.StartRequestId == requestId)
        {
            return (current, true);
        }

        if (current is { IsOpen: true })
        {
            if (reuse == WorkflowIdReusePolicy.TerminateIfRunning) conflict = WorkflowIdConflictPolicy.TerminateExisting;
            switch (conflict)
            {
                case WorkflowIdConflictPolicy.UseExisting:
                    return (current, false);
                case WorkflowIdConflictPolicy.TerminateExisting:
                    Terminate(current, "terminated by a start with the TerminateExisting conflict policy", null, identity);
                    break;
                default:
                    throw RpcErrors.AlreadyStarted(
                        $"Workflow execution is already running. WorkflowId: {workflowId}, RunId: {current.RunId}.",
                        current.StartRequestId,
                        current.RunId);
            }
        }
        else if (current is not null)
        {
            var allowed = reuse switch
            {
                WorkflowIdReusePolicy.RejectDuplicate => false,
                WorkflowIdReusePolicy.AllowDuplicateFailedOnly => current.Status is not WorkflowExecutionStatus.Completed and not WorkflowExecutionStatus.ContinuedAsNew,
                _ => true,
            };
            if (!allowed && current.Status != WorkflowExecutionStatus.Running)
            {
                throw RpcErrors.AlreadyStarted(
                    $"Workflow execution already finished and its ID reuse policy does not allow it. WorkflowId: {workflowId}, RunId: {current.RunId}.",
                    current.StartRequestId,
                    current.RunId);
            }
        }

        var started = attributes();
        var run = CreateRun(ns, workflowId, NewId(), started, string.IsNullOrEmpty(requestId) ? NewId() : requestId, parent: null, afterStarted);
        return (run, true);
    }

    private static WorkflowExecutionStartedEventAttributes StartedAttributes(StartWorkflowExecutionRequest request)
    {
        if (request.WorkflowType is null || string.IsNullOrEmpty(request.WorkflowType.Name)) throw RpcErrors.InvalidArgument("workflow_type.name: required");
        if (request.TaskQueue is null || string.IsNullOrEmpty(request.TaskQueue.Name)) throw RpcErrors.InvalidArgument("task_queue.name: required");
        if (!string.IsNullOrEmpty(request.CronSchedule) && Cron.Parse(request.CronSchedule) is null)
        {
            throw RpcErrors.InvalidArgument($"cron_schedule: \"{request.CronSchedule}\" is not a valid cron expression");
        }

        return new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = request.WorkflowType,
            TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = request.TaskQueue.Name, Kind = TaskQueueKind.Normal },
            Input = request.Input,
            WorkflowExecutionTimeout = request.WorkflowExecutionTimeout,
            WorkflowRunTimeout = request.WorkflowRunTimeout,
            WorkflowTaskTimeout = request.WorkflowTaskTimeout,
            Identity = request.Identity,
            RetryPolicy = request.RetryPolicy,
            CronSchedule = request.CronSchedule,
            Memo = request.Memo,
            SearchAttributes = request.SearchAttributes,
            Header = request.Header,
            Attempt = 1,
            Initiator = ContinueAsNewInitiator.Unspecified,
            ContinuedFailure = request.ContinuedFailure,
            LastCompletionResult = request.LastCompletionResult,
            FirstWorkflowTaskBackoff = request.WorkflowStartDelay,
        };
    }

    /// <summary>Creates a run: normalises timeouts, writes WorkflowExecutionStarted and schedules the first workflow task.</summary>
    private Execution CreateRun(
        string ns,
        string workflowId,
        string runId,
        WorkflowExecutionStartedEventAttributes started,
        string requestId,
        Execution? parent,
        Action<Execution>? afterStarted = null)
    {
        var now = Now;
        started.WorkflowId = workflowId;
        started.OriginalExecutionRunId = runId;
        if (string.IsNullOrEmpty(started.FirstExecutionRunId)) started.FirstExecutionRunId = runId;
        if (started.Attempt == 0) started.Attempt = 1;
        var taskTimeout = Proto.Span(started.WorkflowTaskTimeout);
        if (taskTimeout <= TimeSpan.Zero) taskTimeout = DefaultWorkflowTaskTimeout;
        if (taskTimeout > MaxWorkflowTaskTimeout) taskTimeout = MaxWorkflowTaskTimeout;
        var executionTimeout = Proto.Span(started.WorkflowExecutionTimeout);
        var runTimeout = Proto.Span(started.WorkflowRunTimeout);
        if (runTimeout <= TimeSpan.Zero || (executionTimeout > TimeSpan.Zero && runTimeout > executionTimeout)) runTimeout = executionTimeout;
        if (runTimeout > TimeSpan.Zero && taskTimeout > runTimeout) taskTimeout = runTimeout;
        started.WorkflowTaskTimeout = Duration.FromTimeSpan(taskTimeout);
        started.WorkflowRunTimeout = Proto.Dur(runTimeout);
        started.WorkflowExecutionTimeout = Proto.Dur(executionTimeout);
        if (executionTimeout > TimeSpan.Zero && started.WorkflowExecutionExpirationTime is null)
        {
            started.WorkflowExecutionExpirationTime = Proto.Ts(now + executionTimeout);
        }

        if (parent is not null)
        {
            started.ParentWorkflowNamespace = parent.Namespace;
            started.ParentWorkflowExecution = parent.Ref;
            started.RootWorkflowExecution = parent.Start.RootWorkflowExecution ?? parent.Ref;
        }

        // The first run of a cron workflow (a start or a child start, not a later run) waits for the first cron time.
        if (!string.IsNullOrEmpty(started.CronSchedule) && string.IsNullOrEmpty(started.ContinuedExecutionRunId)
            && Proto.Span(started.FirstWorkflowTaskBackoff) <= TimeSpan.Zero && Cron.Parse(started.CronSchedule) is { } cron)
        {
            started.FirstWorkflowTaskBackoff = Duration.FromTimeSpan(cron.Backoff(now, now));
        }

        var backoff = Proto.Span(started.FirstWorkflowTaskBackoff);
        var run = new Execution(ns, workflowId, runId)
        {
            Start = started,
            StartRequestId = requestId,
            StartTime = now,
            ExecutionTime = now + backoff,
            Memo = started.Memo?.Clone() ?? new Memo(),
            SearchAttributes = started.SearchAttributes?.Clone() ?? new SearchAttributes(),
            Parent = parent,
        };
        run.RequestIds.Add(requestId);
        run.Append(EventType.WorkflowExecutionStarted, now, e => e.WorkflowExecutionStartedEventAttributes = started);
        if (!chains.TryGetValue((ns, workflowId), out var chain)) chains[(ns, workflowId)] = chain = [];
        chain.Add(run);
        runs[runId] = run;
        journal?.Track(run);
        IndexRun(run);
        afterStarted?.Invoke(run);

        if (backoff > TimeSpan.Zero)
        {
            run.RunTimers.Add(Clock.After(backoff, () =>
            {
                if (run.IsOpen) ScheduleWorkflowTask(run);
            }));
        }
        else
        {
            ScheduleWorkflowTask(run);
        }

        var runDeadline = runTimeout > TimeSpan.Zero ? now + backoff + runTimeout : DateTime.MaxValue;
        var expiration = started.WorkflowExecutionExpirationTime?.ToDateTime() ?? DateTime.MaxValue;
        var deadline = runDeadline < expiration ? runDeadline : expiration;
        if (deadline != DateTime.MaxValue)
        {
            run.RunTimers.Add(Clock.Schedule(deadline, () => TimeOutRun(run)));
        }

        return run;
    }
}
