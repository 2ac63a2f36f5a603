using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using TemporalDev.Engine.Persistence;

namespace TemporalDev.Engine;

/// <summary>
/// Start-up from the store, as the real server rebuilds mutable state: each open run's pending work is what its
/// history started and did not close (activities, timers, children, the workflow task), joined with the side state the
/// history does not carry (activity attempts and heartbeats); then timers, timeouts and task queues are re-armed.
/// </summary>
public sealed partial class WorkflowEngine
{
    private void RestoreRuns(string path, IReadOnlyList<StoredRun> stored)
    {
        var restored = new List<(Execution Run, StoredRun Stored)>(stored.Count);
        foreach (var s in stored)
        {
            if (s.Events.Count == 0 || s.Events[0].WorkflowExecutionStartedEventAttributes is not { } started)
            {
                throw new StoreException($"{path} is corrupt: run {s.RunId} of workflow {s.WorkflowId} has no WorkflowExecutionStarted event");
            }

            var run = new Execution(s.Namespace, s.WorkflowId, s.RunId)
            {
                Start = started,
                StartRequestId = s.StartRequestId,
                StartTime = s.StartTime,
                ExecutionTime = s.ExecutionTime,
                Status = s.Status,
                CloseTime = s.CloseTime,
                Memo = s.Memo ?? new(),
                SearchAttributes = s.SearchAttributes ?? new(),
                ParentInitiatedEventId = s.ParentInitiatedEventId,
            };
            foreach (var id in s.RequestIds) run.RequestIds.Add(id);
            foreach (var e in s.Events) run.Restore(e);
            RestoreUpdates(run);
            if (!run.IsOpen) run.CloseEvent = run.Events[^1];
            run.Persisted = new PersistedRun(journal!)
            {
                Key = s.Key,
                StoredEvents = s.Events.Count,
                StoredRequestIds = s.RequestIds.Count,
                StoredActivities = s.Activities.Count,
                StoredBuffered = s.Buffered.Count,
            };

            // A namespace a previous launch served stays served, as the real server keeps its namespaces.
            namespaces.Add(s.Namespace);
            if (!chains.TryGetValue((s.Namespace, s.WorkflowId), out var chain)) chains[(s.Namespace, s.WorkflowId)] = chain = [];
            chain.Add(run);
            runs[s.RunId] = run;
            restored.Add((run, s));
        }

        foreach (var (run, s) in restored)
        {
            if (s.ParentRunId is { } parentRunId && runs.TryGetValue(parentRunId, out var parent)) run.Parent = parent;
        }

        foreach (var (run, s) in restored)
        {
            if (run.IsOpen) RebuildOpenRun(run, s);
        }
    }

    private void RebuildOpenRun(Execution run, StoredRun stored)
    {
        var timers = new Dictionary<string, (long StartedId, DateTime Due)>(StringComparer.Ordinal);
        var anyWorkflowTask = false;
        foreach (var e in run.Events)
        {
            anyWorkflowTask |= e.EventType == EventType.WorkflowTaskScheduled;
            ReplayWorkflowTask(run.WorkflowTask, e);
            ReplayPendingWork(run, e, timers);
        }

        // Buffered events belong to the next workflow task, but what they close is no longer pending.
        foreach (var e in stored.Buffered) ReplayPendingWork(run, e, timers);

        foreach (var child in run.Children.Values)
        {
            var a = child.Attributes;
            if (chains.TryGetValue((a.Namespace, a.WorkflowId), out var chain) && chain.LastOrDefault(r => r.Parent == run) is { } childRun)
            {
                child.RunId = childRun.RunId;
            }
        }

        var sideState = stored.Activities.ToDictionary(a => a.ScheduledEventId);
        foreach (var activity in run.Activities.Values)
        {
            RearmActivity(run, activity, sideState.GetValueOrDefault(activity.ScheduledEventId));
        }

        foreach (var (timerId, (startedId, due)) in timers) ArmUserTimer(run, timerId, startedId, due);
        RearmRunTimeout(run);

        var task = run.WorkflowTask;
        switch (task.State)
        {
            case WorkflowTaskPhase.Started:
                // No worker holds a task across a restart of this server: time it out now (the real server would
                // after its start-to-close timeout) and retry it, writing the buffered events in between.
                RestoreBuffered(run, stored.Buffered);
                TimeOutWorkflowTask(run, task.Generation);
                break;
            case WorkflowTaskPhase.Scheduled:
                // A poll takes a queue entry only if it names the task's current scheduling (Sequence), which replay
                // does not restore: entered under the scheduled event id, the task was skipped as stale and the run hung.
                task.Sequence++;
                Clock.Hold(WorkflowTaskLock(run));
                WorkflowQueue(run.Namespace, run.TaskQueue).Offer(new WorkflowTaskRef(run, task.Sequence));
                break;
            default:
                if (task.Attempt > 1)
                {
                    // The last attempt failed or timed out: its retry is transient (never written), so schedule it again.
                    RestoreBuffered(run, stored.Buffered);
                    ScheduleWorkflowTask(run);
                }
                else if (stored.Buffered.Count > 0)
                {
                    RestoreBuffered(run, stored.Buffered);
                    ScheduleWorkflowTask(run);
                }
                else if (!anyWorkflowTask && run.ExecutionTime > Now)
                {
                    run.RunTimers.Add(Clock.Schedule(run.ExecutionTime, () =>
                    {
                        if (run.IsOpen) ScheduleWorkflowTask(run);
                    }));
                }
                else if (!anyWorkflowTask)
                {
                    ScheduleWorkflowTask(run);
                }

                break;
        }
    }

    private static void ReplayWorkflowTask(WorkflowTaskState task, HistoryEvent e)
    {
        switch (e.EventType)
        {
            case EventType.WorkflowTaskScheduled:
                task.State = WorkflowTaskPhase.Scheduled;
                task.ScheduledEventId = e.EventId;
                task.ScheduledTime = e.EventTime.ToDateTime();
                task.Attempt = e.WorkflowTaskScheduledEventAttributes.Attempt > 0 ? e.WorkflowTaskScheduledEventAttributes.Attempt : 1;
                break;
            case EventType.WorkflowTaskStarted:
                task.State = WorkflowTaskPhase.Started;
                task.StartedEventId = e.EventId;
                task.StartedTime = e.EventTime.ToDateTime();
                break;
            case EventType.WorkflowTaskCompleted:
                task.State = WorkflowTaskPhase.None;
                task.PreviousStartedEventId = e.WorkflowTaskCompletedEventAttributes.StartedEventId;
                task.Attempt = 1;
                break;
            case EventType.WorkflowTaskFailed:
                task.State = WorkflowTaskPhase.None;
                var failed = e.WorkflowTaskFailedEventAttributes;
                task.Attempt = failed.Cause == WorkflowTaskFailedCause.UnhandledCommand && failed.Failure?.ServerFailureInfo is not null ? 1 : task.Attempt + 1;
                break;
            case EventType.WorkflowTaskTimedOut:
                task.State = WorkflowTaskPhase.None;
                task.Attempt++;
                break;
            default:
                break;
        }
    }

    /// <summary>Applies one event to the run's pending activities, timers, children and cancel request.</summary>
    private static void ReplayPendingWork(Execution run, HistoryEvent e, Dictionary<string, (long StartedId, DateTime Due)> timers)
    {
        switch (e.EventType)
        {
            case EventType.ActivityTaskScheduled:
                run.Activities[e.EventId] = new ActivityState
                {
                    ScheduledEventId = e.EventId,
                    Attributes = e.ActivityTaskScheduledEventAttributes,
                    FirstScheduledTime = e.EventTime.ToDateTime(),
                };
                break;
            case EventType.ActivityTaskCancelRequested:
                if (run.Activities.TryGetValue(e.ActivityTaskCancelRequestedEventAttributes.ScheduledEventId, out var canceling))
                {
                    canceling.CancelRequested = true;
                    canceling.CancelRequestedEventId = e.EventId;
                }

                break;
            case EventType.ActivityTaskCompleted:
                run.Activities.Remove(e.ActivityTaskCompletedEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskFailed:
                run.Activities.Remove(e.ActivityTaskFailedEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskTimedOut:
                run.Activities.Remove(e.ActivityTaskTimedOutEventAttributes.ScheduledEventId);
                break;
            case EventType.ActivityTaskCanceled:
                run.Activities.Remove(e.ActivityTaskCanceledEventAttributes.ScheduledEventId);
                break;
            case EventType.TimerStarted:
                var timer = e.TimerStartedEventAttributes;
                timers[timer.TimerId] = (e.EventId, e.EventTime.ToDateTime() + Proto.Span(timer.StartToFireTimeout));
                break;
            case EventType.TimerFired:
                timers.Remove(e.TimerFiredEventAttributes.TimerId);
                break;
            case EventType.TimerCanceled:
                timers.Remove(e.TimerCanceledEventAttributes.TimerId);
                break;
            case EventType.StartChildWorkflowExecutionInitiated:
                run.Children[e.EventId] = new ChildState { InitiatedEventId = e.EventId, Attributes = e.StartChildWorkflowExecutionInitiatedEventAttributes };
                break;
            case EventType.ChildWorkflowExecutionStarted:
                if (run.Children.TryGetValue(e.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId, out var child))
                {
                    child.StartedEventId = e.EventId;
                    child.RunId = e.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution?.RunId ?? string.Empty;
                }

                break;
            case EventType.StartChildWorkflowExecutionFailed:
                run.Children.Remove(e.StartChildWorkflowExecutionFailedEventAttributes.InitiatedEventId);
                break;
            case EventType.ChildWorkflowExecutionCompleted:
                run.Children.Remove(e.ChildWorkflowExecutionCompletedEventAttributes.InitiatedEventId);
                break;
            case EventType.ChildWorkflowExecutionFailed:
                run.Children.Remove(e.ChildWorkflowExecutionFailedEventAttributes.InitiatedEventId);
                break;
            case EventType.ChildWorkflowExecutionCanceled:
                run.Children.Remove(e.ChildWorkflowExecutionCanceledEventAttributes.InitiatedEventId);
                break;
            case EventType.ChildWorkflowExecutionTimedOut:
                run.Children.Remove(e.ChildWorkflowExecutionTimedOutEventAttributes.InitiatedEventId);
                break;
            case EventType.ChildWorkflowExecutionTerminated:
                run.Children.Remove(e.ChildWorkflowExecutionTerminatedEventAttributes.InitiatedEventId);
                break;
            case EventType.WorkflowExecutionCancelRequested:
                run.CancelRequested = true;
                break;
            default:
                break;
        }
    }

    /// <summary>Puts an activity back on the clock: waiting out its backoff, running (its timeouts from when it started), or queued again.</summary>
    private void RearmActivity(Execution run, ActivityState activity, StoredActivity? side)
    {
        if (side is not null)
        {
            activity.Attempt = side.Attempt;
            activity.Started = side.Started;
            activity.StartedTime = side.StartedTime;
            activity.StartedIdentity = side.StartedIdentity;
            activity.StartedRequestId = side.StartedRequestId;
            activity.AttemptScheduledTime = side.AttemptScheduledTime;
            activity.LastHeartbeatTime = side.LastHeartbeatTime;
            activity.HeartbeatDetails = side.HeartbeatDetails;
            activity.LastFailure = side.LastFailure;
            activity.LastWorkerIdentity = side.LastWorkerIdentity;
            activity.InBackoff = side.InBackoff;
            activity.NextAttemptTime = side.NextAttemptTime;
        }

        var scheduleToClose = Proto.Span(activity.Attributes.ScheduleToCloseTimeout);
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToCloseTimer = Clock.Schedule(activity.FirstScheduledTime + scheduleToClose, () => TimeOutActivity(run, activity, TimeoutType.ScheduleToClose, activity.Attempt));
        }

        if (activity.InBackoff)
        {
            ArmNextAttempt(run, activity);
            return;
        }

        if (!activity.Started)
        {
            DispatchActivity(run, activity);
            return;
        }

        // Still running as far as the server knows: a worker may yet complete it with its task token; its
        // start-to-close and heartbeat timeouts run from when it started and last heartbeated.
        Clock.Hold(ActivityLock(run, activity));
        var attempt = activity.Attempt;
        var startToClose = Proto.Span(activity.Attributes.StartToCloseTimeout);
        if (startToClose > TimeSpan.Zero)
        {
            activity.AttemptTimers.Add(Clock.Schedule(activity.StartedTime + startToClose, () => TimeOutActivity(run, activity, TimeoutType.StartToClose, attempt)));
        }

        var heartbeat = Proto.Span(activity.Attributes.HeartbeatTimeout);
        if (heartbeat > TimeSpan.Zero)
        {
            var from = activity.LastHeartbeatTime ?? activity.StartedTime;
            activity.HeartbeatTimer = Clock.Schedule(from + heartbeat, () => TimeOutActivity(run, activity, TimeoutType.Heartbeat, attempt));
        }
    }

    private void RearmRunTimeout(Execution run)
    {
        var runTimeout = Proto.Span(run.Start.WorkflowRunTimeout);
        var runDeadline = runTimeout > TimeSpan.Zero ? run.ExecutionTime + runTimeout : DateTime.MaxValue;
        var expiration = run.Start.WorkflowExecutionExpirationTime?.ToDateTime() ?? DateTime.MaxValue;
        var deadline = runDeadline < expiration ? runDeadline : expiration;
        if (deadline != DateTime.MaxValue) run.RunTimers.Add(Clock.Schedule(deadline, () => TimeOutRun(run)));
    }

    /// <summary>Queues the stored buffered events to be written, with real ids, when the started workflow task ends.</summary>
    private static void RestoreBuffered(Execution run, List<HistoryEvent> buffered)
    {
        var ids = new Dictionary<long, long>();
        foreach (var stored in buffered)
        {
            var captured = stored;
            run.AppendOrBuffer(() =>
            {
                var written = run.Append(captured.EventType, captured.EventTime.ToDateTime(), e =>
                {
                    var copy = captured.Clone();
                    copy.EventId = 0;
                    copy.TaskId = 0;
                    copy.EventTime = null;
                    e.MergeFrom(copy);
                    FixProvisionalStartedId(e, ids);
                });
                ids[captured.EventId] = written.EventId;
                if (written.ChildWorkflowExecutionStartedEventAttributes is { } childStarted
                    && run.Children.TryGetValue(childStarted.InitiatedEventId, out var child))
                {
                    child.StartedEventId = written.EventId;
                }
            });
        }
    }

    /// <summary>A buffered close event may name a started event that was buffered too (a provisional, negative id).</summary>
    private static void FixProvisionalStartedId(HistoryEvent e, Dictionary<long, long> ids)
    {
        long Real(long id) => id < 0 && ids.TryGetValue(id, out var real) ? real : id;
        switch (e.AttributesCase)
        {
            case HistoryEvent.AttributesOneofCase.ActivityTaskCompletedEventAttributes:
                e.ActivityTaskCompletedEventAttributes.StartedEventId = Real(e.ActivityTaskCompletedEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskFailedEventAttributes:
                e.ActivityTaskFailedEventAttributes.StartedEventId = Real(e.ActivityTaskFailedEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskTimedOutEventAttributes:
                e.ActivityTaskTimedOutEventAttributes.StartedEventId = Real(e.ActivityTaskTimedOutEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ActivityTaskCanceledEventAttributes:
                e.ActivityTaskCanceledEventAttributes.StartedEventId = Real(e.ActivityTaskCanceledEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ChildWorkflowExecutionCompletedEventAttributes:
                e.ChildWorkflowExecutionCompletedEventAttributes.StartedEventId = Real(e.ChildWorkflowExecutionCompletedEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ChildWorkflowExecutionFailedEventAttributes:
                e.ChildWorkflowExecutionFailedEventAttributes.StartedEventId = Real(e.ChildWorkflowExecutionFailedEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ChildWorkflowExecutionCanceledEventAttributes:
                e.ChildWorkflowExecutionCanceledEventAttributes.StartedEventId = Real(e.ChildWorkflowExecutionCanceledEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ChildWorkflowExecutionTimedOutEventAttributes:
                e.ChildWorkflowExecutionTimedOutEventAttributes.StartedEventId = Real(e.ChildWorkflowExecutionTimedOutEventAttributes.StartedEventId);
                break;
            case HistoryEvent.AttributesOneofCase.ChildWorkflowExecutionTerminatedEventAttributes:
                e.ChildWorkflowExecutionTerminatedEventAttributes.StartedEventId = Real(e.ChildWorkflowExecutionTerminatedEventAttributes.StartedEventId);
                break;
            default:
                break;
        }
    }
}
