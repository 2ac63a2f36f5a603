using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Protocol.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>
/// Workflow updates as the real server runs them: admitted in memory, sent to the worker as protocol messages on a
/// workflow task (speculative when none is pending), accepted, rejected or completed by the worker's messages, and
/// only accepted updates reach history. Also PollWorkflowExecutionUpdate and update-with-start.
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Gets the real server's soft long-poll limit for update calls: past it, the call answers the stage reached.</summary>
    public static TimeSpan UpdateLongPoll { get; } = TimeSpan.FromSeconds(20);

    private const int FailUpdateAtWorkflowTaskAttempt = 3;

    /// <summary>The run whose task completion is being applied: its updates are aborted after all its messages, not at its close command.</summary>
    private Execution? completingRun;

    private static readonly Temporalio.Api.Failure.V1.Failure UnprocessedUpdateFailure = new()
    {
        Message = "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
        Source = "Server",
        ApplicationFailureInfo = new Temporalio.Api.Failure.V1.ApplicationFailureInfo { Type = "UnprocessedUpdate", NonRetryable = true },
    };

    private static readonly Temporalio.Api.Failure.V1.Failure AcceptedUpdateCompletedWorkflowFailure = new()
    {
        Message = "Workflow Update failed because the Workflow completed before the Update completed.",
        Source = "Server",
        ApplicationFailureInfo = new Temporalio.Api.Failure.V1.ApplicationFailureInfo { Type = "AcceptedUpdateCompletedWorkflow", NonRetryable = true },
    };

    public async Task<UpdateWorkflowExecutionResponse> UpdateWorkflowExecution(UpdateWorkflowExecutionRequest request, ServerCallContext context)
    {
        var stage = ValidateUpdateRequest(request.Request, request.WaitPolicy);
        var workflowId = request.WorkflowExecution?.WorkflowId ?? string.Empty;
        var deadline = UpdateDeadline(context);
        while (true)
        {
            Execution run;
            UpdateState update;
            lock (gate)
            {
                run = FindForControl(request.Namespace, workflowId, request.WorkflowExecution?.RunId, request.FirstExecutionRunId);
                update = Admit(run, request.Request);
            }

            var reached = await WaitForStageAsync(update, stage, deadline, context.CancellationToken).ConfigureAwait(false);
            if (reached is null && string.IsNullOrEmpty(request.WorkflowExecution?.RunId))
            {
                // The run continued as new before the worker saw the update: the real server retries it on the new run.
                continue;
            }

            return UpdateResponse(run, update.Id, reached ?? throw RpcErrors.AlreadyCompleted());
        }
    }

    public async Task<PollWorkflowExecutionUpdateResponse> PollWorkflowExecutionUpdate(PollWorkflowExecutionUpdateRequest request, ServerCallContext context)
    {
        if (request.UpdateRef is null) throw RpcErrors.InvalidArgument("UpdateRef is not set on request.");
        var stage = request.WaitPolicy?.LifecycleStage ?? UpdateWorkflowExecutionLifecycleStage.Unspecified;
        if (stage == UpdateWorkflowExecutionLifecycleStage.Unspecified) stage = UpdateWorkflowExecutionLifecycleStage.Completed;
        var deadline = UpdateDeadline(context);
        Execution run;
        UpdateState? update;
        lock (gate)
        {
            var execution = request.UpdateRef.WorkflowExecution;
            run = Find(request.Namespace, execution?.WorkflowId ?? string.Empty, execution?.RunId);
            run.Updates.TryGetValue(request.UpdateRef.UpdateId, out update);
        }

        // Rejected updates are not kept, so polling one is NotFound, as on the real server.
        if (update is null) throw UpdateErrors.UpdateNotFound(request.UpdateRef.UpdateId);
        var reached = await WaitForStageAsync(update, stage, deadline, context.CancellationToken).ConfigureAwait(false)
            ?? throw UpdateErrors.UpdateNotFound(request.UpdateRef.UpdateId);
        var response = UpdateResponse(run, update.Id, reached);
        return new PollWorkflowExecutionUpdateResponse { Outcome = response.Outcome, Stage = response.Stage, UpdateRef = response.UpdateRef };
    }

    /// <summary>Update-with-start: exactly [StartWorkflow, UpdateWorkflow], answered or failed together.</summary>
    public async Task<ExecuteMultiOperationResponse> ExecuteMultiOperation(ExecuteMultiOperationRequest request, ServerCallContext context)
    {
        const string Failed = "Update-with-Start could not be executed.";
        if (request.Operations.Count != 2 || request.Operations[0].StartWorkflow is null || request.Operations[1].UpdateWorkflow is null)
        {
            throw RpcErrors.InvalidArgument("Operations have to be exactly [Start, Update].");
        }

        var start = request.Operations[0].StartWorkflow;
        var updateRequest = request.Operations[1].UpdateWorkflow;
        if (string.IsNullOrEmpty(start.Namespace)) start.Namespace = request.Namespace;
        var (startError, updateError) = ValidateMultiOperation(request.Namespace, start, updateRequest);
        if (startError is not null || updateError is not null)
        {
            throw UpdateErrors.MultiOperation(
                Failed,
                startError is null ? UpdateErrors.Aborted() : UpdateErrors.StatusOf(RpcErrors.InvalidArgument(startError)),
                updateError is null ? UpdateErrors.Aborted() : UpdateErrors.StatusOf(RpcErrors.InvalidArgument(updateError)));
        }

        UpdateWorkflowExecutionLifecycleStage stage;
        try
        {
            stage = ValidateUpdateRequest(updateRequest.Request, updateRequest.WaitPolicy);
        }
        catch (RpcException e)
        {
            throw UpdateErrors.MultiOperation(Failed, UpdateErrors.Aborted(), UpdateErrors.StatusOf(e));
        }

        var deadline = UpdateDeadline(context);
        Execution run;
        UpdateState update;
        StartWorkflowExecutionResponse started;
        lock (gate)
        {
            RequireNamespace(request.Namespace);
            var updateId = updateRequest.Request.Meta.UpdateId;
            var current = Current(request.Namespace, start.WorkflowId);
            if (current is not null && current.Updates.TryGetValue(updateId, out var done) && done.Phase == UpdatePhase.Completed)
            {
                return MultiOperationResponse(new StartWorkflowExecutionResponse { RunId = current.RunId, Started = false, Status = current.Status }, UpdateResponse(current, updateId, Completed(done)));
            }

            if (current is { IsOpen: true } && (start.RequestId == current.StartRequestId || current.Updates.ContainsKey(updateId)
                || start.WorkflowIdConflictPolicy == WorkflowIdConflictPolicy.UseExisting))
            {
                run = current;
                try
                {
                    update = Admit(run, updateRequest.Request);
                }
                catch (RpcException e)
                {
                    throw UpdateErrors.MultiOperation(Failed, UpdateErrors.Aborted(), UpdateErrors.StatusOf(e));
                }

                started = new StartWorkflowExecutionResponse { RunId = run.RunId, Started = false, Status = WorkflowExecutionStatus.Running };
            }
            else
            {
                try
                {
                    (run, _) = StartOrReuse(
                        start.Namespace,
                        start.WorkflowId,
                        start.RequestId,
                        start.WorkflowIdReusePolicy,
                        start.WorkflowIdConflictPolicy,
                        start.Identity,
                        () => StartedAttributes(start));
                }
                catch (RpcException e)
                {
                    throw UpdateErrors.MultiOperation(Failed, UpdateErrors.StatusOf(e), UpdateErrors.Aborted());
                }

                // The first workflow task is scheduled, not started: it carries the update to the worker.
                update = Admit(run, updateRequest.Request);
                started = new StartWorkflowExecutionResponse { RunId = run.RunId, Started = true, Status = run.Status };
            }
        }

        // Once the start is settled, only the update can fail: its error comes with the start's status beside it.
        var startStatus = started.Started ? UpdateErrors.Ok() : UpdateErrors.Aborted();
        (UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome)? reached;
        try
        {
            reached = await WaitForStageAsync(update, stage, deadline, context.CancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw UpdateErrors.MultiOperation(Failed, startStatus, UpdateErrors.StatusOf(e));
        }

        if (reached is null) throw UpdateErrors.MultiOperation(Failed, startStatus, UpdateErrors.StatusOf(UpdateErrors.AbortedByClosingWorkflow()));
        return MultiOperationResponse(started, UpdateResponse(run, update.Id, reached.Value));
    }

    private static ExecuteMultiOperationResponse MultiOperationResponse(StartWorkflowExecutionResponse started, UpdateWorkflowExecutionResponse updated) => new()
    {
        Responses =
        {
            new ExecuteMultiOperationResponse.Types.Response { StartWorkflow = started },
            new ExecuteMultiOperationResponse.Types.Response { UpdateWorkflow = updated },
        },
    };

    /// <summary>The frontend's checks of update-with-start, per operation (null when the operation is fine).</summary>
    private static (string? Start, string? Update) ValidateMultiOperation(string ns, StartWorkflowExecutionRequest start, UpdateWorkflowExecutionRequest update)
    {
        string? startError = null;
        string? updateError = null;
        if (start.Namespace != ns) startError = "Operation namespace did not match request's namespace.";
        else if (!string.IsNullOrEmpty(start.CronSchedule)) startError = "CronSchedule is not allowed.";
        else if (start.RequestEagerExecution) startError = "RequestEagerExecution is not supported.";
        else if (Proto.Span(start.WorkflowStartDelay) > TimeSpan.Zero) startError = "WorkflowStartDelay is not supported.";
        else if (string.IsNullOrEmpty(start.WorkflowId)) startError = "WorkflowId is not set on request.";

        if (!string.IsNullOrEmpty(update.Namespace) && update.Namespace != ns) updateError = "Operation namespace did not match request's namespace.";
        else if (!string.IsNullOrEmpty(update.FirstExecutionRunId)) updateError = "FirstExecutionRunId is not allowed.";
        else if (!string.IsNullOrEmpty(update.WorkflowExecution?.RunId)) updateError = "RunId is not allowed.";
        else if (startError is null && update.WorkflowExecution?.WorkflowId != start.WorkflowId) updateError = "WorkflowId is not consistent with previous operation(s).";
        return (startError, updateError);
    }

    /// <summary>The frontend's checks of an update request; returns the stage to wait for.</summary>
    private static UpdateWorkflowExecutionLifecycleStage ValidateUpdateRequest(Request? request, WaitPolicy? waitPolicy)
    {
        if (request?.Meta is null) throw RpcErrors.InvalidArgument("Update meta is not set on request.");
        if (request.Input is null) throw RpcErrors.InvalidArgument("Update input is not set on request.");
        if (string.IsNullOrEmpty(request.Input.Name)) throw RpcErrors.InvalidArgument("Update name is not set on request.");
        if (string.IsNullOrEmpty(request.Meta.UpdateId)) request.Meta.UpdateId = NewId();
        var stage = waitPolicy?.LifecycleStage ?? UpdateWorkflowExecutionLifecycleStage.Unspecified;
        return stage switch
        {
            UpdateWorkflowExecutionLifecycleStage.Unspecified => UpdateWorkflowExecutionLifecycleStage.Completed,
            UpdateWorkflowExecutionLifecycleStage.Admitted =>
                throw UpdateErrors.PermissionDenied("UpdateWorkflowExecution issued asynchronously and waiting on update admitted is not supported."),
            _ => stage,
        };
    }

    /// <summary>Finds the update with this id on the run (de-duplication), or admits a new one and makes sure a task will carry it.</summary>
    private UpdateState Admit(Execution run, Request request)
    {
        var id = request.Meta.UpdateId;
        if (!run.IsOpen)
        {
            return run.Updates.TryGetValue(id, out var done) && done.Phase == UpdatePhase.Completed ? done : throw RpcErrors.AlreadyCompleted();
        }

        if (run.Updates.TryGetValue(id, out var existing)) return existing;
        if (run.WorkflowTask.Attempt >= FailUpdateAtWorkflowTaskAttempt)
        {
            throw UpdateErrors.WorkflowNotReady("Unable to perform workflow execution update due to Workflow Task in failed state.");
        }

        var update = new UpdateState { Id = id, Request = request.Clone(), Phase = UpdatePhase.Admitted, AdmittedTime = Now };
        run.Updates[id] = update;

        // A scheduled task picks the update up when it starts; a started one leaves it to the task after it.
        if (run.WorkflowTask.State == WorkflowTaskPhase.None) ScheduleWorkflowTask(run, speculative: true);
        return update;
    }

    /// <summary>
    /// Waits, up to the soft long-poll limit, for the update to reach the stage; returns the stage reached and the
    /// outcome, or null when the run continued as new before the worker saw it (the caller retries on the new run).
    /// </summary>
    private async Task<(UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome)?> WaitForStageAsync(
        UpdateState update, UpdateWorkflowExecutionLifecycleStage stage, DateTime deadline, CancellationToken cancel)
    {
        while (true)
        {
            Task changed;
            lock (gate)
            {
                if (update.Error is { } error) throw error;
                if (update.RetryOnNextRun) return null;
                if (update.Outcome is not null) return Completed(update);
                if (stage == UpdateWorkflowExecutionLifecycleStage.Accepted && update.Phase == UpdatePhase.Accepted)
                {
                    return (UpdateWorkflowExecutionLifecycleStage.Accepted, null);
                }

                changed = update.Changed.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || !await Completes(changed, remaining, cancel).ConfigureAwait(false))
            {
                if (cancel.IsCancellationRequested) throw new RpcException(new Status(StatusCode.Cancelled, "update wait cancelled by the caller"));
                lock (gate)
                {
                    // The soft limit passed: answer the stage reached, and the caller polls again.
                    return update.Phase >= UpdatePhase.Accepted
                        ? (UpdateWorkflowExecutionLifecycleStage.Accepted, null)
                        : (UpdateWorkflowExecutionLifecycleStage.Admitted, null);
                }
            }
        }
    }

    private static (UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome) Completed(UpdateState update) =>
        (UpdateWorkflowExecutionLifecycleStage.Completed, update.Outcome);

    private static UpdateWorkflowExecutionResponse UpdateResponse(Execution run, string updateId, (UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome) reached) => new()
    {
        UpdateRef = new UpdateRef { WorkflowExecution = run.Ref, UpdateId = updateId },
        Outcome = reached.Outcome,
        Stage = reached.Stage,
    };

    private static DateTime UpdateDeadline(ServerCallContext context)
    {
        var limit = DateTime.UtcNow + UpdateLongPoll;
        var callDeadline = context.Deadline == DateTime.MaxValue ? DateTime.MaxValue : context.Deadline.ToUniversalTime() - TimeSpan.FromSeconds(1);
        return callDeadline < limit ? callDeadline : limit;
    }

    /// <summary>Marks the admitted updates as sent and builds their request messages for the task being started.</summary>
    private static List<Message> SendUpdates(Execution run)
    {
        var task = run.WorkflowTask;
        var messages = new List<Message>();
        foreach (var update in run.Updates.Values.Where(u => u.Phase is UpdatePhase.Admitted or UpdatePhase.Sent).OrderBy(u => u.AdmittedTime))
        {
            update.Phase = UpdatePhase.Sent;
            task.SentUpdates.Add(update.Id);

            // The real server sequences every request after the task's history, just before WorkflowTaskStarted.
            messages.Add(new Message
            {
                Id = RequestMessageId(update.Id),
                ProtocolInstanceId = update.Id,
                EventId = task.StartedEventId - 1,
                Body = new Any { TypeUrl = "type.googleapis.com/temporal.api.update.v1.Request", Value = update.Request.ToByteString() },
            });
        }

        return messages;
    }

    private static string RequestMessageId(string updateId) => updateId + "/request";

    private static bool HasUndeliveredUpdates(Execution run) => run.Updates.Values.Any(u => u.Phase == UpdatePhase.Admitted);

    /// <summary>The message body's type name (Acceptance, Rejection, Response), from its type URL.</summary>
    private static string BodyType(Message message)
    {
        var url = message.Body?.TypeUrl ?? string.Empty;
        var name = url[(url.LastIndexOf('/') + 1)..];
        return name.StartsWith("temporal.api.update.v1.", StringComparison.Ordinal) ? name["temporal.api.update.v1.".Length..] : name;
    }

    /// <summary>Checks the messages and protocol commands before anything is written, as the real server fails the task on bad ones.</summary>
    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateUpdateMessages(Execution run, RespondWorkflowTaskCompletedRequest request)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in request.Messages)
        {
            if (!ids.Add(message.Id)) return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"message {message.Id} appears twice");
            var type = BodyType(message);
            if (type is not nameof(Acceptance) and not nameof(Rejection) and not nameof(Response))
            {
                return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"message {message.Id}: unknown body type {message.Body?.TypeUrl}");
            }

            if (!run.Updates.ContainsKey(message.ProtocolInstanceId)
                && !(type == nameof(Acceptance) && Acceptance.Parser.ParseFrom(message.Body!.Value).AcceptedRequest is not null)
                && type != nameof(Rejection))
            {
                return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"update {message.ProtocolInstanceId} wasn't found on the server");
            }
        }

        foreach (var command in request.Commands.Where(c => c.CommandType == CommandType.ProtocolMessage))
        {
            var id = command.ProtocolMessageCommandAttributes?.MessageId ?? string.Empty;
            if (!ids.Remove(id)) return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"ProtocolMessageCommand referenced absent message ID {id}");
        }

        return null;
    }

    /// <summary>Applies one Acceptance, Rejection or Response message from the worker.</summary>
    private void HandleUpdateMessage(Execution run, Message message)
    {
        run.Updates.TryGetValue(message.ProtocolInstanceId, out var update);
        switch (BodyType(message))
        {
            case nameof(Acceptance):
                var acceptance = Acceptance.Parser.ParseFrom(message.Body.Value);
                if (update is null && acceptance.AcceptedRequest is { } request)
                {
                    // The real server's resurrection: the worker sent the request back, so the update is known again.
                    update = new UpdateState { Id = message.ProtocolInstanceId, Request = request, Phase = UpdatePhase.Sent, AdmittedTime = Now };
                    run.Updates[update.Id] = update;
                }

                if (update is null || update.Phase is not (UpdatePhase.Admitted or UpdatePhase.Sent)) return;
                update.AcceptedEventId = run.Append(EventType.WorkflowExecutionUpdateAccepted, Now, e => e.WorkflowExecutionUpdateAcceptedEventAttributes = new WorkflowExecutionUpdateAcceptedEventAttributes
                {
                    ProtocolInstanceId = update.Id,
                    AcceptedRequestMessageId = RequestMessageId(update.Id),
                    AcceptedRequestSequencingEventId = acceptance.AcceptedRequestSequencingEventId,
                    AcceptedRequest = update.Request,
                }).EventId;
                update.Phase = UpdatePhase.Accepted;
                update.NotifyChanged();
                break;
            case nameof(Response):
                var response = Response.Parser.ParseFrom(message.Body.Value);
                if (update is not { Phase: UpdatePhase.Accepted }) return;
                run.Append(EventType.WorkflowExecutionUpdateCompleted, Now, e => e.WorkflowExecutionUpdateCompletedEventAttributes = new WorkflowExecutionUpdateCompletedEventAttributes
                {
                    Meta = response.Meta ?? new Meta { UpdateId = update.Id },
                    AcceptedEventId = update.AcceptedEventId,
                    Outcome = response.Outcome,
                });
                update.Outcome = response.Outcome;
                update.Phase = UpdatePhase.Completed;
                update.NotifyChanged();
                break;
            case nameof(Rejection):
                var rejection = Rejection.Parser.ParseFrom(message.Body.Value);
                if (update is not { Phase: UpdatePhase.Admitted or UpdatePhase.Sent }) return;
                Reject(run, update, rejection.Failure);
                break;
            default:
                break;
        }
    }

    /// <summary>A rejected update leaves nothing behind: no event, and the same id may be sent again.</summary>
    private static void Reject(Execution run, UpdateState update, Temporalio.Api.Failure.V1.Failure failure)
    {
        run.Updates.Remove(update.Id);
        update.Outcome = new Outcome { Failure = failure };
        update.Phase = UpdatePhase.Completed;
        update.NotifyChanged();
    }

    /// <summary>Updates the worker got but neither accepted nor rejected are rejected for it (an SDK that knows no updates).</summary>
    private static void RejectUnprocessedUpdates(Execution run, List<string> sent)
    {
        foreach (var id in sent)
        {
            if (run.Updates.TryGetValue(id, out var update) && update.Phase == UpdatePhase.Sent) Reject(run, update, UnprocessedUpdateFailure);
        }
    }

    /// <summary>
    /// Rebuilds a run's accepted and completed updates from its history, as the real server loads its registry from
    /// mutable state (for a run restored from disk). Admitted updates live only in memory and are not restored.
    /// </summary>
    internal static void RestoreUpdates(Execution run)
    {
        foreach (var e in run.Events)
        {
            if (e.WorkflowExecutionUpdateAcceptedEventAttributes is { } accepted)
            {
                run.Updates[accepted.ProtocolInstanceId] = new UpdateState
                {
                    Id = accepted.ProtocolInstanceId,
                    Request = accepted.AcceptedRequest ?? new Request { Meta = new Meta { UpdateId = accepted.ProtocolInstanceId } },
                    Phase = UpdatePhase.Accepted,
                    AcceptedEventId = e.EventId,
                    AdmittedTime = e.EventTime.ToDateTime(),
                };
            }
            else if (e.WorkflowExecutionUpdateCompletedEventAttributes is { } completed && run.Updates.TryGetValue(completed.Meta.UpdateId, out var update))
            {
                update.Outcome = completed.Outcome;
                update.Phase = UpdatePhase.Completed;
            }
        }

        if (!run.IsOpen) AbortUpdates(run);
    }

    /// <summary>
    /// Ends the run's in-flight updates as the real server aborts them when the run closes: accepted ones fail with a
    /// server failure; the others get NotFound, or, when the run continues as a new one, go to that run.
    /// </summary>
    private static void AbortUpdates(Execution run)
    {
        var continuing = run.Status == WorkflowExecutionStatus.ContinuedAsNew
            || run.CloseEvent?.WorkflowExecutionFailedEventAttributes?.NewExecutionRunId.Length > 0
            || run.CloseEvent?.WorkflowExecutionTimedOutEventAttributes?.NewExecutionRunId.Length > 0
            || run.CloseEvent?.WorkflowExecutionCompletedEventAttributes?.NewExecutionRunId.Length > 0;
        foreach (var update in run.Updates.Values.ToList())
        {
            switch (update.Phase)
            {
                case UpdatePhase.Accepted:
                    update.Outcome = new Outcome { Failure = AcceptedUpdateCompletedWorkflowFailure };
                    update.Phase = UpdatePhase.Completed;
                    break;
                case UpdatePhase.Admitted or UpdatePhase.Sent:
                    run.Updates.Remove(update.Id);
                    if (continuing) update.RetryOnNextRun = true;
                    else update.Error = UpdateErrors.AbortedByClosingWorkflow();
                    break;
                default:
                    continue;
            }

            update.NotifyChanged();
        }
    }
}
