using Grpc.Core;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>Activities: scheduling, dispatch, server-side retries, heartbeats, the four timeouts and cancellation.</summary>
public sealed partial class WorkflowEngine
{
    private void ScheduleActivity(Execution run, ScheduleActivityTaskCommandAttributes command, CommandBatch batch)
    {
        var now = Now;
        var scheduleToClose = Proto.Span(command.ScheduleToCloseTimeout);
        var startToClose = Proto.Span(command.StartToCloseTimeout);
        var scheduleToStart = Proto.Span(command.ScheduleToStartTimeout);
        var heartbeat = Proto.Span(command.HeartbeatTimeout);
        var runTimeout = Proto.Span(run.Start.WorkflowRunTimeout);
        if (scheduleToClose <= TimeSpan.Zero) scheduleToClose = runTimeout;
        if (runTimeout > TimeSpan.Zero && scheduleToClose > runTimeout) scheduleToClose = runTimeout;
        if (startToClose <= TimeSpan.Zero) startToClose = scheduleToClose;
        if (scheduleToClose > TimeSpan.Zero && startToClose > scheduleToClose) startToClose = scheduleToClose;
        if (scheduleToStart <= TimeSpan.Zero || (scheduleToClose > TimeSpan.Zero && scheduleToStart > scheduleToClose)) scheduleToStart = scheduleToClose;
        if (heartbeat > startToClose) heartbeat = startToClose;
        var taskQueue = command.TaskQueue is { Name.Length: > 0 } ? command.TaskQueue : run.Start.TaskQueue;
        var attributes = new ActivityTaskScheduledEventAttributes
        {
            ActivityId = command.ActivityId,
            ActivityType = command.ActivityType,
            TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = taskQueue.Name, Kind = TaskQueueKind.Normal },
            Header = command.Header,
            Input = command.Input,
            ScheduleToCloseTimeout = Proto.Dur(scheduleToClose),
            ScheduleToStartTimeout = Proto.Dur(scheduleToStart),
            StartToCloseTimeout = Proto.Dur(startToClose),
            HeartbeatTimeout = Proto.Dur(heartbeat),
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
            RetryPolicy = RetryRules.Normalize(command.RetryPolicy),
            Priority = command.Priority,
        };
        var scheduled = run.Append(EventType.ActivityTaskScheduled, now, e => e.ActivityTaskScheduledEventAttributes = attributes);
        var activity = new ActivityState { ScheduledEventId = scheduled.EventId, Attributes = attributes, FirstScheduledTime = now };
        run.Activities[scheduled.EventId] = activity;
        if (scheduleToClose > TimeSpan.Zero)
        {
            activity.ScheduleToCloseTimer = Clock.After(scheduleToClose, () => TimeOutActivity(run, activity, TimeoutType.ScheduleToClose, activity.Attempt));
        }

        DispatchActivity(run, activity);
    }

    private static string ActivityLock(Execution run, ActivityState activity) => $"act:{run.RunId}:{activity.ScheduledEventId}";

    private void DispatchActivity(Execution run, ActivityState activity)
    {
        activity.InBackoff = false;
        activity.Started = false;
        activity.AttemptScheduledTime = Now;
        run.MarkChanged();
        Clock.Hold(ActivityLock(run, activity));
        var scheduleToStart = Proto.Span(activity.Attributes.ScheduleToStartTimeout);
        var attempt = activity.Attempt;
        if (scheduleToStart > TimeSpan.Zero)
        {
            activity.AttemptTimers.Add(Clock.After(scheduleToStart, () => TimeOutActivity(run, activity, TimeoutType.ScheduleToStart, attempt)));
        }

        ActivityQueue(run.Namespace, activity.Attributes.TaskQueue.Name).Offer(new ActivityTaskRef(run, activity.ScheduledEventId, attempt));
    }

    public async Task<PollActivityTaskQueueResponse> PollActivityTaskQueue(PollActivityTaskQueueRequest request, ServerCallContext context)
    {
        var name = request.TaskQueue?.Name;
        if (string.IsNullOrEmpty(name)) throw RpcErrors.InvalidArgument("task_queue.name: required");
        TaskQueue<ActivityTaskRef> queue;
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            queue = ActivityQueue(request.Namespace, name);
        }

        var deadline = PollDeadline(context);
        while (true)
        {
            TaskCompletionSource<ActivityTaskRef?> poller;
            lock (gate)
            {
                while (queue.TryTake() is { } taken)
                {
                    if (StartActivity(taken, request.Identity) is { } response) return response;
                }

                poller = queue.AddPoller();
            }

            var handed = await WaitForTaskAsync(poller, deadline, context.CancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (handed is null)
                {
                    queue.Withdraw(poller);
                    return new PollActivityTaskQueueResponse();
                }

                if (StartActivity(handed, request.Identity) is { } response) return response;
            }
        }
    }

    private PollActivityTaskQueueResponse? StartActivity(ActivityTaskRef taken, string identity)
    {
        var run = taken.Execution;
        if (!run.IsOpen || !run.Activities.TryGetValue(taken.ScheduledEventId, out var activity)
            || activity.Started || activity.InBackoff || activity.Attempt != taken.Attempt)
        {
            return null;
        }

        var now = Now;
        activity.Started = true;
        activity.StartedTime = now;
        activity.StartedIdentity = identity;
        activity.StartedRequestId = NewId();
        activity.LastHeartbeatTime = null;
        run.MarkChanged();
        activity.CancelAttemptTimers();
        var attempt = activity.Attempt;
        var startToClose = Proto.Span(activity.Attributes.StartToCloseTimeout);
        if (startToClose > TimeSpan.Zero)
        {
            activity.AttemptTimers.Add(Clock.After(startToClose, () => TimeOutActivity(run, activity, TimeoutType.StartToClose, attempt)));
        }

        ArmHeartbeatTimer(run, activity);
        var a = activity.Attributes;
        return new PollActivityTaskQueueResponse
        {
            TaskToken = new TaskToken('a', run.Namespace, run.WorkflowId, run.RunId, activity.ScheduledEventId, attempt).Encode(),
            WorkflowNamespace = run.Namespace,
            WorkflowType = run.Start.WorkflowType,
            WorkflowExecution = run.Ref,
            ActivityType = a.ActivityType,
            ActivityId = a.ActivityId,
            Header = a.Header,
            Input = a.Input,
            HeartbeatDetails = activity.HeartbeatDetails,
            ScheduledTime = Proto.Ts(activity.FirstScheduledTime),
            CurrentAttemptScheduledTime = Proto.Ts(activity.AttemptScheduledTime),
            StartedTime = Proto.Ts(now),
            Attempt = attempt,
            ScheduleToCloseTimeout = a.ScheduleToCloseTimeout,
            StartToCloseTimeout = a.StartToCloseTimeout,
            HeartbeatTimeout = a.HeartbeatTimeout,
            RetryPolicy = a.RetryPolicy,
            Priority = a.Priority,
        };
    }

    private void ArmHeartbeatTimer(Execution run, ActivityState activity)
    {
        activity.HeartbeatTimer?.Cancel();
        var heartbeat = Proto.Span(activity.Attributes.HeartbeatTimeout);
        if (heartbeat <= TimeSpan.Zero) return;
        var attempt = activity.Attempt;
        activity.HeartbeatTimer = Clock.After(heartbeat, () => TimeOutActivity(run, activity, TimeoutType.Heartbeat, attempt));
    }

    /// <summary>Finds the started activity attempt a token names; NotFound once the run or the attempt is gone.</summary>
    private (Execution Run, ActivityState Activity) StartedActivity(TaskToken token)
    {
        if (token.Kind != 'a') throw RpcErrors.InvalidArgument("task_token: not an activity task token");
        if (!runs.TryGetValue(token.RunId, out var run)) throw RpcErrors.WorkflowNotFound(token.WorkflowId, token.RunId);
        if (!run.IsOpen) throw RpcErrors.AlreadyCompleted();
        if (!run.Activities.TryGetValue(token.ScheduledEventId, out var activity) || !activity.Started || activity.Attempt != token.Attempt)
        {
            throw RpcErrors.NotFound("activity task not found");
        }

        return (run, activity);
    }

    private (Execution Run, ActivityState Activity) StartedActivity(string ns, string workflowId, string runId, string activityId)
    {
        var run = Find(ns, workflowId, runId);
        if (!run.IsOpen) throw RpcErrors.AlreadyCompleted();
        var activity = run.Activities.Values.FirstOrDefault(a => a.Attributes.ActivityId == activityId);
        if (activity is null || !activity.Started) throw RpcErrors.NotFound($"activity {activityId} not found or not started");
        return (run, activity);
    }

    public RespondActivityTaskCompletedResponse RespondActivityTaskCompleted(RespondActivityTaskCompletedRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var (run, activity) = StartedActivity(token);
            CompleteActivity(run, activity, request.Result, request.Identity);
            return new RespondActivityTaskCompletedResponse();
        }
    }

    public RespondActivityTaskCompletedByIdResponse RespondActivityTaskCompletedById(RespondActivityTaskCompletedByIdRequest request)
    {
        lock (gate)
        {
            var (run, activity) = StartedActivity(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            CompleteActivity(run, activity, request.Result, request.Identity);
            return new RespondActivityTaskCompletedByIdResponse();
        }
    }

    public RespondActivityTaskFailedResponse RespondActivityTaskFailed(RespondActivityTaskFailedRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var (run, activity) = StartedActivity(token);
            if (request.LastHeartbeatDetails is not null) activity.HeartbeatDetails = request.LastHeartbeatDetails;
            FailActivity(run, activity, request.Failure, request.Identity);
            return new RespondActivityTaskFailedResponse();
        }
    }

    public RespondActivityTaskFailedByIdResponse RespondActivityTaskFailedById(RespondActivityTaskFailedByIdRequest request)
    {
        lock (gate)
        {
            var (run, activity) = StartedActivity(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            if (request.LastHeartbeatDetails is not null) activity.HeartbeatDetails = request.LastHeartbeatDetails;
            FailActivity(run, activity, request.Failure, request.Identity);
            return new RespondActivityTaskFailedByIdResponse();
        }
    }

    public RespondActivityTaskCanceledResponse RespondActivityTaskCanceled(RespondActivityTaskCanceledRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var (run, activity) = StartedActivity(token);
            CancelStartedActivity(run, activity, request.Details, request.Identity);
            return new RespondActivityTaskCanceledResponse();
        }
    }

    public RespondActivityTaskCanceledByIdResponse RespondActivityTaskCanceledById(RespondActivityTaskCanceledByIdRequest request)
    {
        lock (gate)
        {
            var (run, activity) = StartedActivity(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            CancelStartedActivity(run, activity, request.Details, request.Identity);
            return new RespondActivityTaskCanceledByIdResponse();
        }
    }

    public RecordActivityTaskHeartbeatResponse RecordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var (run, activity) = StartedActivity(token);
            return new RecordActivityTaskHeartbeatResponse { CancelRequested = Heartbeat(run, activity, request.Details) };
        }
    }

    public RecordActivityTaskHeartbeatByIdResponse RecordActivityTaskHeartbeatById(RecordActivityTaskHeartbeatByIdRequest request)
    {
        lock (gate)
        {
            var (run, activity) = StartedActivity(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId);
            return new RecordActivityTaskHeartbeatByIdResponse { CancelRequested = Heartbeat(run, activity, request.Details) };
        }
    }

    private bool Heartbeat(Execution run, ActivityState activity, Payloads? details)
    {
        activity.HeartbeatDetails = details;
        activity.LastHeartbeatTime = Now;
        run.MarkChanged();
        ArmHeartbeatTimer(run, activity);
        return activity.CancelRequested;
    }

    private void CompleteActivity(Execution run, ActivityState activity, Payloads? result, string identity) =>
        CloseActivity(run, activity, startedId => run.Append(EventType.ActivityTaskCompleted, Now, e => e.ActivityTaskCompletedEventAttributes = new ActivityTaskCompletedEventAttributes
        {
            Result = result,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = startedId,
            Identity = identity,
        }));

    private void FailActivity(Execution run, ActivityState activity, Failure failure, string identity)
    {
        activity.LastWorkerIdentity = identity;
        var state = RetryOrState(run, activity, failure);
        if (state is null) return;
        CloseActivity(run, activity, startedId => run.Append(EventType.ActivityTaskFailed, Now, e => e.ActivityTaskFailedEventAttributes = new ActivityTaskFailedEventAttributes
        {
            Failure = failure,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = startedId,
            Identity = identity,
            RetryState = state.Value,
        }));
    }

    /// <summary>Schedules the next attempt if the policy allows (returns null), or returns the state that ends the retries.</summary>
    private RetryState? RetryOrState(Execution run, ActivityState activity, Failure failure)
    {
        var scheduleToClose = Proto.Span(activity.Attributes.ScheduleToCloseTimeout);
        DateTime? expiration = scheduleToClose > TimeSpan.Zero ? activity.FirstScheduledTime + scheduleToClose : null;
        var (delay, state) = RetryRules.Next(activity.Attributes.RetryPolicy, activity.Attempt, failure, Now, expiration);
        if (delay is null) return state;
        activity.LastFailure = failure;
        activity.Attempt++;
        activity.Started = false;
        activity.InBackoff = true;
        activity.NextAttemptTime = Now + delay.Value;
        run.MarkChanged();
        activity.CancelAttemptTimers();
        Clock.Release(ActivityLock(run, activity));
        ArmNextAttempt(run, activity);
        return null;
    }

    /// <summary>Dispatches the next attempt of an activity in retry backoff when its backoff ends.</summary>
    private void ArmNextAttempt(Execution run, ActivityState activity) =>
        Clock.Schedule(activity.NextAttemptTime, () =>
        {
            if (run.IsOpen && run.Activities.TryGetValue(activity.ScheduledEventId, out var current) && current == activity && activity.InBackoff)
            {
                DispatchActivity(run, activity);
            }
        });

    private void CancelStartedActivity(Execution run, ActivityState activity, Payloads? details, string identity) =>
        CloseActivity(run, activity, startedId => run.Append(EventType.ActivityTaskCanceled, Now, e => e.ActivityTaskCanceledEventAttributes = new ActivityTaskCanceledEventAttributes
        {
            Details = details,
            LatestCancelRequestedEventId = activity.CancelRequestedEventId,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = startedId,
            Identity = identity,
        }));

    private void TimeOutActivity(Execution run, ActivityState activity, TimeoutType type, int attempt)
    {
        if (!run.IsOpen || !run.Activities.TryGetValue(activity.ScheduledEventId, out var current) || current != activity) return;
        if (type != TimeoutType.ScheduleToClose && (activity.Attempt != attempt || activity.InBackoff)) return;
        if (type == TimeoutType.ScheduleToStart && activity.Started) return;
        if (type is TimeoutType.StartToClose or TimeoutType.Heartbeat && !activity.Started) return;
        var failure = new Failure
        {
            Message = $"activity {TimeoutName(type)} timeout",
            Source = "Server",
            TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = type, LastHeartbeatDetails = activity.HeartbeatDetails },
            Cause = activity.LastFailure,
        };
        RetryState state = RetryState.Timeout;
        if (type is TimeoutType.StartToClose or TimeoutType.Heartbeat)
        {
            var next = RetryOrState(run, activity, failure);
            if (next is null) return;
            state = next.Value;
        }

        CloseActivity(run, activity, startedId => run.Append(EventType.ActivityTaskTimedOut, Now, e => e.ActivityTaskTimedOutEventAttributes = new ActivityTaskTimedOutEventAttributes
        {
            Failure = failure,
            ScheduledEventId = activity.ScheduledEventId,
            StartedEventId = startedId,
            RetryState = state,
        }));
    }

    private static string TimeoutName(TimeoutType type) => type switch
    {
        TimeoutType.ScheduleToStart => "ScheduleToStart",
        TimeoutType.ScheduleToClose => "ScheduleToClose",
        TimeoutType.StartToClose => "StartToClose",
        TimeoutType.Heartbeat => "Heartbeat",
        _ => type.ToString(),
    };

    /// <summary>Ends an activity: writes ActivityTaskStarted (only now, as the real server does) and its closing event.</summary>
    private void CloseActivity(Execution run, ActivityState activity, Action<long> writeClose)
    {
        run.Activities.Remove(activity.ScheduledEventId);
        activity.CancelAttemptTimers();
        activity.ScheduleToCloseTimer?.Cancel();
        Clock.Release(ActivityLock(run, activity));
        var wasStarted = activity.Started;
        AddEventForWorkflow(run, () =>
        {
            var startedId = 0L;
            if (wasStarted)
            {
                startedId = run.Append(EventType.ActivityTaskStarted, Now, e => e.ActivityTaskStartedEventAttributes = new ActivityTaskStartedEventAttributes
                {
                    ScheduledEventId = activity.ScheduledEventId,
                    Identity = activity.StartedIdentity,
                    RequestId = activity.StartedRequestId,
                    Attempt = activity.Attempt,
                    LastFailure = activity.LastFailure,
                }).EventId;
            }

            writeClose(startedId);
        });
    }

    private void RequestCancelActivity(Execution run, RequestCancelActivityTaskCommandAttributes command, CommandBatch batch)
    {
        if (!run.Activities.TryGetValue(command.ScheduledEventId, out var activity)) return;
        var requested = run.Append(EventType.ActivityTaskCancelRequested, Now, e => e.ActivityTaskCancelRequestedEventAttributes = new ActivityTaskCancelRequestedEventAttributes
        {
            ScheduledEventId = command.ScheduledEventId,
            WorkflowTaskCompletedEventId = batch.CompletedEventId,
        });
        activity.CancelRequested = true;
        activity.CancelRequestedEventId = requested.EventId;
        if (activity.Started) return;
        run.Activities.Remove(activity.ScheduledEventId);
        activity.CancelAttemptTimers();
        activity.ScheduleToCloseTimer?.Cancel();
        Clock.Release(ActivityLock(run, activity));
        run.Append(EventType.ActivityTaskCanceled, Now, e => e.ActivityTaskCanceledEventAttributes = new ActivityTaskCanceledEventAttributes
        {
            LatestCancelRequestedEventId = requested.EventId,
            ScheduledEventId = activity.ScheduledEventId,
            Identity = batch.Identity,
        });
        batch.NeedsWorkflowTask = true;
    }
}
