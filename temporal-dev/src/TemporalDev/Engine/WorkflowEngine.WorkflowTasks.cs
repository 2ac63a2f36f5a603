using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>Workflow tasks: scheduling, long-poll matching, completion, failure and start-to-close timeouts.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Writes an event for the workflow to see and makes sure a workflow task will show it.</summary>
    private void AddEventForWorkflow(Execution run, Action write)
    {
        if (!run.IsOpen) return;
        if (run.WorkflowTask.State == WorkflowTaskPhase.Started)
        {
            run.AppendOrBuffer(write);
            return;
        }

        write();
        ScheduleWorkflowTask(run);
    }

    /// <summary>Schedules the run's workflow task unless one is already scheduled or started.</summary>
    private void ScheduleWorkflowTask(Execution run)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.None) return;
        var now = Now;
        var scheduled = run.Append(EventType.WorkflowTaskScheduled, now, e => e.WorkflowTaskScheduledEventAttributes = new WorkflowTaskScheduledEventAttributes
        {
            TaskQueue = run.Start.TaskQueue,
            StartToCloseTimeout = run.Start.WorkflowTaskTimeout,
            Attempt = task.Attempt,
        });
        task.State = WorkflowTaskPhase.Scheduled;
        task.ScheduledEventId = scheduled.EventId;
        task.ScheduledTime = now;
        Clock.Hold(WorkflowTaskLock(run));
        WorkflowQueue(run.Namespace, run.TaskQueue).Offer(new WorkflowTaskRef(run, scheduled.EventId));
    }

    private static string WorkflowTaskLock(Execution run) => $"wft:{run.RunId}";

    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(PollWorkflowTaskQueueRequest request, ServerCallContext context)
    {
        var name = request.TaskQueue?.Name;
        if (string.IsNullOrEmpty(name)) throw RpcErrors.InvalidArgument("task_queue.name: required");
        TaskQueue<WorkflowTaskRef> queue;
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            if (request.TaskQueue!.Kind == TaskQueueKind.Sticky)
            {
                // Sticky queues are never fed: every task goes to the normal queue with the full history.
                if (!stickyQueues.TryGetValue(name, out queue!)) stickyQueues[name] = queue = new();
            }
            else
            {
                queue = WorkflowQueue(request.Namespace, name);
            }
        }

        var deadline = PollDeadline(context);
        while (true)
        {
            TaskCompletionSource<WorkflowTaskRef?> poller;
            lock (gate)
            {
                while (queue.TryTake() is { } taken)
                {
                    if (StartWorkflowTask(taken, request) is { } response) return response;
                }

                poller = queue.AddPoller();
            }

            var handed = await WaitForTaskAsync(poller, deadline, context.CancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (handed is null)
                {
                    queue.Withdraw(poller);
                    return new PollWorkflowTaskQueueResponse();
                }

                if (StartWorkflowTask(handed, request) is { } response) return response;
            }
        }
    }

    private static DateTime PollDeadline(ServerCallContext context)
    {
        var limit = DateTime.UtcNow + LongPoll;
        var callDeadline = context.Deadline == DateTime.MaxValue ? DateTime.MaxValue : context.Deadline.ToUniversalTime() - TimeSpan.FromSeconds(1);
        return callDeadline < limit ? callDeadline : limit;
    }

    /// <summary>Waits for a task to be handed over; null when the poll timed out or its call was cancelled.</summary>
    private static async Task<T?> WaitForTaskAsync<T>(TaskCompletionSource<T?> poller, DateTime deadline, CancellationToken cancel)
        where T : class
    {
        var remaining = deadline - DateTime.UtcNow;
        if (remaining <= TimeSpan.Zero) return null;
        try
        {
            return await poller.Task.WaitAsync(remaining, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Starts a workflow task (or hands out a query task); null when the reference went stale.</summary>
    private PollWorkflowTaskQueueResponse? StartWorkflowTask(WorkflowTaskRef taken, PollWorkflowTaskQueueRequest request)
    {
        var run = taken.Execution;
        if (taken.Query is { } query) return StartQueryTask(query);
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Scheduled || task.ScheduledEventId != taken.ScheduledEventId) return null;
        var now = Now;
        var suggest = run.NextEventId >= suggestContinueAsNewEvents || run.HistorySizeBytes >= suggestContinueAsNewBytes;
        var started = run.Append(EventType.WorkflowTaskStarted, now, e => e.WorkflowTaskStartedEventAttributes = new WorkflowTaskStartedEventAttributes
        {
            ScheduledEventId = task.ScheduledEventId,
            Identity = request.Identity,
            RequestId = NewId(),
            SuggestContinueAsNew = suggest,
            HistorySizeBytes = run.HistorySizeBytes,
        });
        task.State = WorkflowTaskPhase.Started;
        task.StartedEventId = started.EventId;
        task.StartedTime = now;
        task.Generation++;
        var generation = task.Generation;
        task.Timeout = Clock.After(Proto.Span(run.Start.WorkflowTaskTimeout), () => TimeOutWorkflowTask(run, generation));
        return WorkflowTaskResponse(run, new TaskToken('w', run.Namespace, run.WorkflowId, run.RunId, task.ScheduledEventId, generation));
    }

    private static PollWorkflowTaskQueueResponse WorkflowTaskResponse(Execution run, TaskToken token)
    {
        var task = run.WorkflowTask;
        var response = new PollWorkflowTaskQueueResponse
        {
            TaskToken = token.Encode(),
            WorkflowExecution = run.Ref,
            WorkflowType = run.Start.WorkflowType,
            PreviousStartedEventId = task.PreviousStartedEventId,
            StartedEventId = task.StartedEventId,
            Attempt = task.Attempt,
            WorkflowExecutionTaskQueue = run.Start.TaskQueue,
            ScheduledTime = Proto.Ts(task.ScheduledTime),
            StartedTime = Proto.Ts(task.StartedTime),
            History = new History(),
        };
        response.History.Events.AddRange(run.Events);
        return response;
    }

    public RespondWorkflowTaskCompletedResponse RespondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var run = StartedWorkflowTask(token);
            var task = run.WorkflowTask;
            task.Timeout?.Cancel();

            var terminal = request.Commands.Any(c => IsTerminalCommand(c.CommandType));
            var invalid = ValidateCommands(run, request.Commands) ?? ValidateCommandSearchAttributes(run, request.Commands);
            if (invalid is not null)
            {
                FailWorkflowTask(run, invalid.Value.Cause, invalid.Value.Message, request.Identity);
                return new RespondWorkflowTaskCompletedResponse();
            }

            if (terminal && run.HasBuffered)
            {
                // The real server refuses to close a run that has unseen events: the worker must see them first.
                FailWorkflowTask(run, WorkflowTaskFailedCause.UnhandledCommand, "unhandled events arrived during the workflow task", request.Identity);
                return new RespondWorkflowTaskCompletedResponse();
            }

            var completed = run.Append(EventType.WorkflowTaskCompleted, Now, e => e.WorkflowTaskCompletedEventAttributes = new WorkflowTaskCompletedEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEventId,
                Identity = request.Identity,
                BinaryChecksum = request.BinaryChecksum,
                WorkerVersion = request.WorkerVersionStamp,
                SdkMetadata = request.SdkMetadata,
                MeteringMetadata = request.MeteringMetadata,
                Deployment = request.Deployment,
            });
            EndWorkflowTask(run, resetAttempt: true);

            var batch = new CommandBatch(completed.EventId, request.Identity);
            foreach (var command in request.Commands)
            {
                if (!run.IsOpen) break;
                ApplyCommand(run, command, batch);
            }

            if (run.IsOpen)
            {
                var flushed = run.FlushBuffered();
                if (flushed > 0 || batch.NeedsWorkflowTask || request.ForceCreateNewWorkflowTask) ScheduleWorkflowTask(run);
            }

            foreach (var after in batch.AfterCompletion) after();
            DispatchPendingQueries(run);
            return new RespondWorkflowTaskCompletedResponse();
        }
    }

    public RespondWorkflowTaskFailedResponse RespondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            var run = StartedWorkflowTask(token);
            run.WorkflowTask.Timeout?.Cancel();
            var failure = request.Failure;
            var task = run.WorkflowTask;
            run.Append(EventType.WorkflowTaskFailed, Now, e => e.WorkflowTaskFailedEventAttributes = new WorkflowTaskFailedEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEventId,
                Cause = request.Cause,
                Failure = failure,
                Identity = request.Identity,
                BinaryChecksum = request.BinaryChecksum,
            });
            EndWorkflowTask(run, resetAttempt: false);
            run.FlushBuffered();
            ScheduleWorkflowTask(run);
            return new RespondWorkflowTaskFailedResponse();
        }
    }

    /// <summary>Finds the run whose started workflow task the token names, or answers NotFound as the real server does.</summary>
    private Execution StartedWorkflowTask(TaskToken token)
    {
        if (token.Kind != 'w') throw RpcErrors.InvalidArgument("task_token: not a workflow task token");
        if (!runs.TryGetValue(token.RunId, out var run)
            || !run.IsOpen
            || run.WorkflowTask.State != WorkflowTaskPhase.Started
            || run.WorkflowTask.ScheduledEventId != token.ScheduledEventId
            || run.WorkflowTask.Generation != token.Attempt)
        {
            throw RpcErrors.NotFound("Workflow task not found.");
        }

        return run;
    }

    /// <summary>Records a failed workflow task the server decided on (bad commands), then retries it.</summary>
    private void FailWorkflowTask(Execution run, WorkflowTaskFailedCause cause, string message, string identity)
    {
        var task = run.WorkflowTask;
        run.Append(EventType.WorkflowTaskFailed, Now, e => e.WorkflowTaskFailedEventAttributes = new WorkflowTaskFailedEventAttributes
        {
            ScheduledEventId = task.ScheduledEventId,
            StartedEventId = task.StartedEventId,
            Cause = cause,
            Failure = new Temporalio.Api.Failure.V1.Failure
            {
                Message = message,
                ServerFailureInfo = new Temporalio.Api.Failure.V1.ServerFailureInfo(),
            },
            Identity = identity,
        });
        EndWorkflowTask(run, resetAttempt: false);
        if (cause == WorkflowTaskFailedCause.UnhandledCommand) task.Attempt = 1;
        run.FlushBuffered();
        ScheduleWorkflowTask(run);
    }

    private void TimeOutWorkflowTask(Execution run, long generation)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Started || task.Generation != generation) return;
        run.Append(EventType.WorkflowTaskTimedOut, Now, e => e.WorkflowTaskTimedOutEventAttributes = new WorkflowTaskTimedOutEventAttributes
        {
            ScheduledEventId = task.ScheduledEventId,
            StartedEventId = task.StartedEventId,
            TimeoutType = TimeoutType.StartToClose,
        });
        EndWorkflowTask(run, resetAttempt: false);
        run.FlushBuffered();
        ScheduleWorkflowTask(run);
    }

    private void EndWorkflowTask(Execution run, bool resetAttempt)
    {
        var task = run.WorkflowTask;
        if (resetAttempt)
        {
            task.PreviousStartedEventId = task.StartedEventId;
            task.Attempt = 1;
        }
        else
        {
            task.Attempt++;
        }

        task.State = WorkflowTaskPhase.None;
        task.Timeout?.Cancel();
        task.Timeout = null;
        Clock.Release(WorkflowTaskLock(run));
    }

    public ShutdownWorkerResponse ShutdownWorker(ShutdownWorkerRequest request)
    {
        lock (gate)
        {
            if (!string.IsNullOrEmpty(request.StickyTaskQueue) && stickyQueues.Remove(request.StickyTaskQueue, out var sticky))
            {
                sticky.ReleasePollers();
            }
        }

        return new ShutdownWorkerResponse();
    }
}
