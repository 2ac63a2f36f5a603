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
        MakeSpeculativeTaskNormal(run);
        ScheduleWorkflowTask(run);
    }

    /// <summary>An event for the workflow turns a scheduled speculative task normal, as on the real server: it must reach history.</summary>
    private void MakeSpeculativeTaskNormal(Execution run)
    {
        var task = run.WorkflowTask;
        if (task.State != WorkflowTaskPhase.Scheduled || !task.Speculative) return;
        task.Speculative = false;
        if (!task.Unwritten) task.ScheduledEventId = run.Append(EventType.WorkflowTaskScheduled, Now, e => e.WorkflowTaskScheduledEventAttributes = ScheduledAttributes(run)).EventId;
    }

    /// <summary>
    /// Schedules the run's workflow task unless one is already scheduled or started. A retry after a failed attempt
    /// and a speculative task (one that only delivers updates) keep their events out of history until they complete.
    /// </summary>
    private void ScheduleWorkflowTask(Execution run, bool speculative = false)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.None) return;
        var now = Now;
        task.Speculative = speculative && task.Attempt == 1;
        task.Sequence++;
        task.ScheduledTime = now;
        task.PendingEvents = [];
        task.StartedEvent = null;
        task.ScheduledEventId = 0;
        if (!task.Unwritten)
        {
            task.ScheduledEventId = run.Append(EventType.WorkflowTaskScheduled, now, e => e.WorkflowTaskScheduledEventAttributes = ScheduledAttributes(run)).EventId;
        }

        task.State = WorkflowTaskPhase.Scheduled;
        Clock.Hold(WorkflowTaskLock(run));
        WorkflowQueue(run.Namespace, run.TaskQueue).Offer(new WorkflowTaskRef(run, task.Sequence));
    }

    private static WorkflowTaskScheduledEventAttributes ScheduledAttributes(Execution run) => new()
    {
        TaskQueue = run.Start.TaskQueue,
        StartToCloseTimeout = run.Start.WorkflowTaskTimeout,
        Attempt = run.WorkflowTask.Attempt,
    };

    private static string WorkflowTaskLock(Execution run) => $"wft:{run.RunId}";

    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueue(PollWorkflowTaskQueueRequest request, ServerCallContext context)
    {
        var name = request.TaskQueue?.Name;
        if (string.IsNullOrEmpty(name)) throw RpcErrors.InvalidArgument("task_queue.name: required");
        TaskQueue<WorkflowTaskRef> queue;
        string? sticky = null;
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            if (request.TaskQueue!.Kind == TaskQueueKind.Sticky && !string.IsNullOrEmpty(request.TaskQueue.NormalName))
            {
                // Every task goes to the normal queue with the full history (core skips the events a cached run has
                // seen), so a sticky poll takes from the normal queue: all of a worker's pollers serve it, as they
                // would share the work on a real server. Core keeps most of its pollers sticky (4 of 5 by default).
                queue = WorkflowQueue(request.Namespace, request.TaskQueue.NormalName);
                sticky = name;
            }
            else if (request.TaskQueue.Kind == TaskQueueKind.Sticky)
            {
                // A sticky poll that does not name its normal queue is held until it times out.
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
                    if (StartWorkflowTask(taken, request) is { } response)
                    {
                        ReclaimIfUndelivered(taken, context);
                        return response;
                    }
                }

                poller = queue.AddPoller();
                if (sticky is not null) StickyPollsOf(sticky).Add(poller);
            }

            var handed = await WaitForTaskAsync(poller, deadline, context.CancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (sticky is not null && stickyPolls.TryGetValue(sticky, out var polls)) polls.Remove(poller);
                if (handed is null || context.CancellationToken.IsCancellationRequested)
                {
                    // A task handed to a poll whose caller went away goes back to the front of the queue.
                    queue.Withdraw(poller);
                    return new PollWorkflowTaskQueueResponse();
                }

                if (StartWorkflowTask(handed, request) is { } response)
                {
                    ReclaimIfUndelivered(handed, context);
                    return response;
                }
            }
        }
    }

    private HashSet<TaskCompletionSource<WorkflowTaskRef?>> StickyPollsOf(string sticky)
    {
        if (!stickyPolls.TryGetValue(sticky, out var polls)) stickyPolls[sticky] = polls = [];
        return polls;
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
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Scheduled || task.Sequence != taken.Sequence) return null;
        var now = Now;
        var suggest = run.NextEventId >= suggestContinueAsNewEvents || run.HistorySizeBytes >= suggestContinueAsNewBytes;
        HistoryEvent? scheduled = null;
        if (task.Unwritten)
        {
            // The real server's transient or speculative task: its events reach the worker but not history (yet).
            scheduled = Execution.Build(EventType.WorkflowTaskScheduled, task.ScheduledTime, run.NextEventId, e => e.WorkflowTaskScheduledEventAttributes = ScheduledAttributes(run));
            task.ScheduledEventId = scheduled.EventId;
        }

        void StartedAttributes(HistoryEvent e) => e.WorkflowTaskStartedEventAttributes = new WorkflowTaskStartedEventAttributes
        {
            ScheduledEventId = task.ScheduledEventId,
            Identity = request.Identity,
            RequestId = NewId(),
            SuggestContinueAsNew = suggest,
            HistorySizeBytes = run.HistorySizeBytes,
        };
        if (scheduled is not null)
        {
            task.PendingEvents = [scheduled, Execution.Build(EventType.WorkflowTaskStarted, now, scheduled.EventId + 1, StartedAttributes)];
            task.StartedEvent = null;
            task.StartedEventId = scheduled.EventId + 1;
        }
        else
        {
            task.StartedEvent = run.Append(EventType.WorkflowTaskStarted, now, StartedAttributes);
            task.StartedEventId = task.StartedEvent.EventId;
        }

        task.State = WorkflowTaskPhase.Started;
        task.StartedTime = now;
        task.Generation++;
        var generation = task.Generation;
        task.Timeout = Clock.After(Proto.Span(run.Start.WorkflowTaskTimeout), () => TimeOutWorkflowTask(run, generation));
        var response = WorkflowTaskResponse(run, new TaskToken('w', run.Namespace, run.WorkflowId, run.RunId, task.ScheduledEventId, generation));
        response.History.Events.AddRange(task.PendingEvents);
        response.Messages.AddRange(SendUpdates(run));
        return response;
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

    /// <summary>
    /// Takes a started task back when the poll's response was never delivered (the caller cancelled), as the real
    /// server's matching does when delivery fails, instead of leaving it to the start-to-close timeout.
    /// </summary>
    private void ReclaimIfUndelivered(WorkflowTaskRef taken, ServerCallContext context)
    {
        if (taken.Query is not null) return;
        var run = taken.Execution;
        var generation = run.WorkflowTask.Generation;
        if (context.CancellationToken.IsCancellationRequested)
        {
            UnstartWorkflowTask(run, generation);
            return;
        }

        var http = context.GetHttpContext();
        http.Response.OnCompleted(() =>
        {
            if (http.RequestAborted.IsCancellationRequested)
            {
                lock (gate) UnstartWorkflowTask(run, generation);
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>Returns a started task to scheduled, as if the undelivered start never happened.</summary>
    private void UnstartWorkflowTask(Execution run, long generation)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Started || task.Generation != generation) return;
        if (task.StartedEvent is { } started && !run.Retract(started)) return;
        task.Timeout?.Cancel();
        task.Timeout = null;
        task.Generation++;
        task.StartedEvent = null;
        task.PendingEvents = [];
        if (task.Unwritten) task.ScheduledEventId = 0;
        foreach (var id in task.SentUpdates)
        {
            if (run.Updates.TryGetValue(id, out var update) && update.Phase == UpdatePhase.Sent) update.Phase = UpdatePhase.Admitted;
        }

        task.SentUpdates.Clear();
        task.State = WorkflowTaskPhase.Scheduled;
        if (run.FlushBuffered() > 0) MakeSpeculativeTaskNormal(run);
        task.Sequence++;
        WorkflowQueue(run.Namespace, run.TaskQueue).Offer(new WorkflowTaskRef(run, task.Sequence));
    }

    /// <summary>Writes an unwritten task's scheduled and started events, now that it leaves a trace in history.</summary>
    private static void WritePendingEvents(Execution run)
    {
        var task = run.WorkflowTask;
        foreach (var e in task.PendingEvents) run.AppendBuilt(e);
        task.PendingEvents = [];
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
            var invalid = ValidateCommands(run, request.Commands) ?? ValidateUpdateMessages(run, request) ?? ValidateCommandSearchAttributes(run, request.Commands);
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

            if (CanDiscardSpeculativeTask(run, request))
            {
                return DiscardSpeculativeTask(run, request);
            }

            WritePendingEvents(run);
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
            var sent = task.SentUpdates.ToList();
            EndWorkflowTask(run, resetAttempt: true);

            var batch = new CommandBatch(completed.EventId, request.Identity);
            var messages = request.Messages.ToList();
            completingRun = run;
            try
            {
                ApplyCompletion(run, request, messages, batch);
            }
            finally
            {
                completingRun = null;
            }

            // As on the real server, a run closed by this completion aborts its updates once all messages are applied.
            if (!run.IsOpen) AbortUpdates(run);
            if (run.IsOpen)
            {
                RejectUnprocessedUpdates(run, sent);
                var flushed = run.FlushBuffered();
                if (flushed > 0 || batch.NeedsWorkflowTask || request.ForceCreateNewWorkflowTask) ScheduleWorkflowTask(run);
                else if (HasUndeliveredUpdates(run)) ScheduleWorkflowTask(run, speculative: true);
            }

            foreach (var after in batch.AfterCompletion) after();
            DispatchPendingQueries(run);
            return new RespondWorkflowTaskCompletedResponse();
        }
    }

    /// <summary>Applies a completion's commands, with each update message where its ProtocolMessage command puts it.</summary>
    private void ApplyCompletion(Execution run, RespondWorkflowTaskCompletedRequest request, List<Temporalio.Api.Protocol.V1.Message> messages, CommandBatch batch)
    {
        foreach (var command in request.Commands)
        {
            if (!run.IsOpen) break;
            if (command.CommandType == CommandType.ProtocolMessage)
            {
                // The command fixes where the message's events go among the other commands' events.
                var at = messages.FindIndex(m => m.Id == command.ProtocolMessageCommandAttributes.MessageId);
                HandleUpdateMessage(run, messages[at]);
                messages.RemoveAt(at);
                continue;
            }

            ApplyCommand(run, command, batch);
        }

        // Messages no command placed (rejections, or a worker that sends no protocol commands) come after all commands;
        // after a close only rejections still apply, as they write nothing.
        foreach (var message in messages)
        {
            if (run.IsOpen || BodyType(message) == nameof(Temporalio.Api.Update.V1.Rejection)) HandleUpdateMessage(run, message);
        }
    }

    /// <summary>The real server drops a speculative task that only rejected updates and saw no new events: it leaves no trace.</summary>
    private static bool CanDiscardSpeculativeTask(Execution run, RespondWorkflowTaskCompletedRequest request)
    {
        var task = run.WorkflowTask;
        return task.Speculative
            && request.Commands.Count == 0
            && !request.ForceCreateNewWorkflowTask
            && request.Messages.All(m => BodyType(m) == nameof(Temporalio.Api.Update.V1.Rejection))
            && (request.Capabilities?.DiscardSpeculativeWorkflowTaskWithEvents == true || run.NextEventId <= task.PreviousStartedEventId + 2);
    }

    private RespondWorkflowTaskCompletedResponse DiscardSpeculativeTask(Execution run, RespondWorkflowTaskCompletedRequest request)
    {
        var task = run.WorkflowTask;
        var sent = task.SentUpdates.ToList();
        foreach (var message in request.Messages) HandleUpdateMessage(run, message);
        RejectUnprocessedUpdates(run, sent);
        task.State = WorkflowTaskPhase.None;
        task.Speculative = false;
        task.PendingEvents = [];
        task.SentUpdates.Clear();
        task.Timeout?.Cancel();
        task.Timeout = null;
        Clock.Release(WorkflowTaskLock(run));
        if (run.FlushBuffered() > 0) ScheduleWorkflowTask(run);
        else if (HasUndeliveredUpdates(run)) ScheduleWorkflowTask(run, speculative: true);
        DispatchPendingQueries(run);

        // The worker rolls its history back to the last completed task's start.
        return new RespondWorkflowTaskCompletedResponse { ResetHistoryEventId = task.PreviousStartedEventId };
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
            if (WritesFailure(task))
            {
                WritePendingEvents(run);
                run.Append(EventType.WorkflowTaskFailed, Now, e => e.WorkflowTaskFailedEventAttributes = new WorkflowTaskFailedEventAttributes
                {
                    ScheduledEventId = task.ScheduledEventId,
                    StartedEventId = task.StartedEventId,
                    Cause = request.Cause,
                    Failure = failure,
                    Identity = request.Identity,
                    BinaryChecksum = request.BinaryChecksum,
                });
            }

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
        if (WritesFailure(task) || cause == WorkflowTaskFailedCause.UnhandledCommand)
        {
            WritePendingEvents(run);
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
        }
        EndWorkflowTask(run, resetAttempt: false);
        if (cause == WorkflowTaskFailedCause.UnhandledCommand) task.Attempt = 1;
        run.FlushBuffered();
        ScheduleWorkflowTask(run);
    }

    /// <summary>
    /// Fails the started workflow task of a run being closed from outside (terminate, run timeout), as the real server
    /// does before it writes the close event; the worker's later completion then finds no task.
    /// </summary>
    private void FailStartedWorkflowTaskForClose(Execution run)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Started) return;
        if (WritesFailure(task))
        {
            WritePendingEvents(run);
            run.Append(EventType.WorkflowTaskFailed, Now, e => e.WorkflowTaskFailedEventAttributes = new WorkflowTaskFailedEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEventId,
                Cause = WorkflowTaskFailedCause.ForceCloseCommand,
                Identity = "history-service",
            });
        }

        EndWorkflowTask(run, resetAttempt: false);
    }

    private void TimeOutWorkflowTask(Execution run, long generation)
    {
        var task = run.WorkflowTask;
        if (!run.IsOpen || task.State != WorkflowTaskPhase.Started || task.Generation != generation) return;
        if (WritesFailure(task))
        {
            WritePendingEvents(run);
            run.Append(EventType.WorkflowTaskTimedOut, Now, e => e.WorkflowTaskTimedOutEventAttributes = new WorkflowTaskTimedOutEventAttributes
            {
                ScheduledEventId = task.ScheduledEventId,
                StartedEventId = task.StartedEventId,
                TimeoutType = TimeoutType.StartToClose,
            });
        }
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
        task.Speculative = false;
        task.PendingEvents = [];
        task.StartedEvent = null;

        // Updates a failed task carried go out again with the next attempt, as the real server resends them.
        foreach (var id in resetAttempt ? [] : task.SentUpdates)
        {
            if (run.Updates.TryGetValue(id, out var update) && update.Phase == UpdatePhase.Sent) update.Phase = UpdatePhase.Admitted;
        }

        task.SentUpdates.Clear();
        Clock.Release(WorkflowTaskLock(run));
    }

    /// <summary>
    /// Whether a failed or timed-out attempt is written to history: the first attempt is (a speculative one becomes
    /// normal), later attempts are transient and leave nothing, as on the real server.
    /// </summary>
    private static bool WritesFailure(WorkflowTaskState task) => task.Attempt == 1;

    public ShutdownWorkerResponse ShutdownWorker(ShutdownWorkerRequest request)
    {
        lock (gate)
        {
            if (!string.IsNullOrEmpty(request.StickyTaskQueue) && stickyQueues.Remove(request.StickyTaskQueue, out var sticky))
            {
                sticky.ReleasePollers();
            }

            // The worker's sticky polls waiting on the normal queue end now, with no task, as on the real server.
            if (!string.IsNullOrEmpty(request.StickyTaskQueue) && stickyPolls.Remove(request.StickyTaskQueue, out var polls))
            {
                foreach (var poll in polls) poll.TrySetResult(null);
            }
        }

        return new ShutdownWorkerResponse();
    }
}
