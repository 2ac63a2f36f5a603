using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine;

/// <summary>Closing runs: complete, fail, cancel, time out, terminate; workflow retries and cron runs; parent notification.</summary>
public sealed partial class WorkflowEngine
{
    private void CompleteWorkflow(Execution run, CompleteWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var next = NextCronRun(run, lastResult: command.Result, failure: null);
        Close(run, WorkflowExecutionStatus.Completed, EventType.WorkflowExecutionCompleted, e => e.WorkflowExecutionCompletedEventAttributes = new WorkflowExecutionCompletedEventAttributes
        {
            Result = command.Result,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            NewExecutionRunId = next?.RunId ?? string.Empty,
        });
        next?.Create();
    }

    private void FailWorkflow(Execution run, FailWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var (next, state) = NextRetryRun(run, command.Failure);
        next ??= NextCronRun(run, lastResult: null, failure: command.Failure);
        Close(run, WorkflowExecutionStatus.Failed, EventType.WorkflowExecutionFailed, e => e.WorkflowExecutionFailedEventAttributes = new WorkflowExecutionFailedEventAttributes
        {
            Failure = command.Failure,
            RetryState = state,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            NewExecutionRunId = next?.RunId ?? string.Empty,
        });
        next?.Create();
    }

    private void CancelWorkflow(Execution run, CancelWorkflowExecutionCommandAttributes command, CommandBatch batch) =>
        Close(run, WorkflowExecutionStatus.Canceled, EventType.WorkflowExecutionCanceled, e => e.WorkflowExecutionCanceledEventAttributes = new WorkflowExecutionCanceledEventAttributes
        {
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            Details = command.Details,
        });

    private void ContinueAsNew(Execution run, ContinueAsNewWorkflowExecutionCommandAttributes command, CommandBatch batch)
    {
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = command.WorkflowType is { Name.Length: > 0 } ? command.WorkflowType : run.Start.WorkflowType,
            TaskQueue = command.TaskQueue is { Name.Length: > 0 }
                ? new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal }
                : run.Start.TaskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = run.Start.WorkflowExecutionTimeout,
            WorkflowExecutionExpirationTime = run.Start.WorkflowExecutionExpirationTime,
            WorkflowRunTimeout = command.WorkflowRunTimeout ?? run.Start.WorkflowRunTimeout,
            WorkflowTaskTimeout = command.WorkflowTaskTimeout ?? run.Start.WorkflowTaskTimeout,
            ContinuedExecutionRunId = run.RunId,
            Initiator = ContinueAsNewInitiator.Workflow,
            ContinuedFailure = command.Failure,
            LastCompletionResult = command.LastCompletionResult,
            FirstExecutionRunId = run.Start.FirstExecutionRunId,
            RetryPolicy = command.RetryPolicy ?? run.Start.RetryPolicy,
            Attempt = 1,
            CronSchedule = string.IsNullOrEmpty(command.CronSchedule) ? run.Start.CronSchedule : command.CronSchedule,
            FirstWorkflowTaskBackoff = command.BackoffStartInterval,
            Memo = command.Memo ?? run.Memo,
            SearchAttributes = command.SearchAttributes ?? run.SearchAttributes,
            Header = command.Header,
            Identity = batch.Identity,
        };
        var next = new PendingRun(this, run, NewId(), started);
        Close(run, WorkflowExecutionStatus.ContinuedAsNew, EventType.WorkflowExecutionContinuedAsNew, e => e.WorkflowExecutionContinuedAsNewEventAttributes = new WorkflowExecutionContinuedAsNewEventAttributes
        {
            NewExecutionRunId = next.RunId,
            WorkflowType = started.WorkflowType,
            TaskQueue = started.TaskQueue,
            Input = command.Input,
            WorkflowRunTimeout = started.WorkflowRunTimeout,
            WorkflowTaskTimeout = started.WorkflowTaskTimeout,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            BackoffStartInterval = command.BackoffStartInterval,
            Initiator = ContinueAsNewInitiator.Workflow,
            Failure = command.Failure,
            LastCompletionResult = command.LastCompletionResult,
            Header = command.Header,
            Memo = command.Memo,
            SearchAttributes = command.SearchAttributes,
        });
        next.Create();
    }

    private void TimeOutRun(Execution run)
    {
        if (!run.IsOpen) return;
        var failure = new Failure
        {
            Message = "workflow timeout",
            Source = "Server",
            TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = TimeoutType.StartToClose },
        };
        var expired = run.Start.WorkflowExecutionExpirationTime is { } end && end.ToDateTime() <= Now;
        var (next, state) = expired ? (null, RetryState.Timeout) : NextRetryRun(run, failure);
        if (next is null && !expired) next = NextCronRun(run, lastResult: null, failure: failure);
        if (state == RetryState.RetryPolicyNotSet) state = RetryState.Timeout;
        FailStartedWorkflowTaskForClose(run);
        run.FlushBuffered();
        Close(run, WorkflowExecutionStatus.TimedOut, EventType.WorkflowExecutionTimedOut, e => e.WorkflowExecutionTimedOutEventAttributes = new WorkflowExecutionTimedOutEventAttributes
        {
            RetryState = state,
            NewExecutionRunId = next?.RunId ?? string.Empty,
        });
        next?.Create();
    }

    private void Terminate(Execution run, string reason, Payloads? details, string identity)
    {
        if (!run.IsOpen) return;
        FailStartedWorkflowTaskForClose(run);
        run.FlushBuffered();
        Close(run, WorkflowExecutionStatus.Terminated, EventType.WorkflowExecutionTerminated, e => e.WorkflowExecutionTerminatedEventAttributes = new WorkflowExecutionTerminatedEventAttributes
        {
            Reason = reason,
            Details = details,
            Identity = identity,
        });
    }

    /// <summary>Writes the close event, stops every timer and task of the run, and tells the parent and the children.</summary>
    private void Close(Execution run, WorkflowExecutionStatus status, EventType type, Action<HistoryEvent> attributes)
    {
        var now = Now;
        run.Status = status;
        run.CloseTime = now;
        run.CloseEvent = run.Append(type, now, attributes);
        RefreshVisibility(run);
        var task = run.WorkflowTask;
        task.Timeout?.Cancel();
        task.State = WorkflowTaskPhase.None;
        Clock.Release(WorkflowTaskLock(run));
        foreach (var timer in run.RunTimers) timer.Cancel();
        foreach (var timer in run.Timers.Values) timer.Clock.Cancel();
        run.Timers.Clear();
        foreach (var activity in run.Activities.Values)
        {
            activity.CancelAttemptTimers();
            activity.ScheduleToCloseTimer?.Cancel();
            Clock.Release(ActivityLock(run, activity));
        }

        run.Activities.Clear();
        if (!ReferenceEquals(completingRun, run)) AbortUpdates(run);
        ApplyParentClosePolicies(run);
        if (status != WorkflowExecutionStatus.ContinuedAsNew && !(run.CloseEvent.WorkflowExecutionFailedEventAttributes?.NewExecutionRunId.Length > 0)
            && !(run.CloseEvent.WorkflowExecutionTimedOutEventAttributes?.NewExecutionRunId.Length > 0)
            && !(run.CloseEvent.WorkflowExecutionCompletedEventAttributes?.NewExecutionRunId.Length > 0))
        {
            NotifyParent(run);
        }

        OnScheduledActionClosed(run);
    }

    /// <summary>The next run of a retried workflow, if its retry policy allows one.</summary>
    private (PendingRun? Next, RetryState State) NextRetryRun(Execution run, Failure failure)
    {
        if (run.Start.RetryPolicy is null) return (null, RetryState.RetryPolicyNotSet);
        var policy = RetryRules.Normalize(run.Start.RetryPolicy);
        var (delay, state) = RetryRules.Next(policy, run.Start.Attempt, failure, Now, run.Start.WorkflowExecutionExpirationTime?.ToDateTime());
        if (delay is null) return (null, state);
        var started = CarryOver(run, ContinueAsNewInitiator.Retry, delay.Value);
        started.Attempt = run.Start.Attempt + 1;
        started.ContinuedFailure = failure;
        started.LastCompletionResult = run.Start.LastCompletionResult;
        return (new PendingRun(this, run, NewId(), started), state);
    }

    /// <summary>The next run of a cron workflow.</summary>
    private PendingRun? NextCronRun(Execution run, Payloads? lastResult, Failure? failure)
    {
        if (string.IsNullOrEmpty(run.Start.CronSchedule) || Cron.Parse(run.Start.CronSchedule) is not { } cron) return null;
        var now = Now;
        var started = CarryOver(run, ContinueAsNewInitiator.CronSchedule, cron.Backoff(now, run.StartTime));
        started.LastCompletionResult = lastResult ?? run.Start.LastCompletionResult;
        started.ContinuedFailure = failure;
        return new PendingRun(this, run, NewId(), started);
    }

    private static WorkflowExecutionStartedEventAttributes CarryOver(Execution run, ContinueAsNewInitiator initiator, TimeSpan backoff) => new()
    {
        WorkflowType = run.Start.WorkflowType,
        TaskQueue = run.Start.TaskQueue,
        Input = run.Start.Input,
        WorkflowExecutionTimeout = run.Start.WorkflowExecutionTimeout,
        WorkflowExecutionExpirationTime = run.Start.WorkflowExecutionExpirationTime,
        WorkflowRunTimeout = run.Start.WorkflowRunTimeout,
        WorkflowTaskTimeout = run.Start.WorkflowTaskTimeout,
        ContinuedExecutionRunId = run.RunId,
        Initiator = initiator,
        FirstExecutionRunId = run.Start.FirstExecutionRunId,
        RetryPolicy = run.Start.RetryPolicy,
        Attempt = 1,
        CronSchedule = run.Start.CronSchedule,
        FirstWorkflowTaskBackoff = Duration.FromTimeSpan(backoff < TimeSpan.Zero ? TimeSpan.Zero : backoff),
        Memo = run.Memo,
        SearchAttributes = run.SearchAttributes,
        Header = run.Start.Header,
        Identity = run.Start.Identity,
    };

    /// <summary>A run whose id the close event names before the run itself is created.</summary>
    private sealed class PendingRun(WorkflowEngine engine, Execution previous, string runId, WorkflowExecutionStartedEventAttributes started)
    {
        public string RunId { get; } = runId;

        public void Create()
        {
            started.ParentInitiatedEventId = previous.ParentInitiatedEventId;
            var next = engine.CreateRun(previous.Namespace, previous.WorkflowId, RunId, started, NewId(), previous.Parent);
            next.ParentInitiatedEventId = previous.ParentInitiatedEventId;
            if (previous.Parent is { } parent && parent.Children.TryGetValue(previous.ParentInitiatedEventId, out var child)) child.RunId = next.RunId;
        }
    }
}
