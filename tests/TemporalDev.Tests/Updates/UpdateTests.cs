using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Xunit;

namespace TemporalDev.Tests.Updates;

/// <summary>Workflow updates through the public SDK: the protocol, validators, failures, stages, de-duplication and errors.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class UpdateTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Execute_update_returns_the_handler_result_and_writes_accepted_and_completed_events()
    {
        var queue = temporal.NewTaskQueue();
        var (count, result, handle) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var c = await h.ExecuteUpdateAsync(w => w.AddAsync("first"), new("update-1"));
            await h.SignalAsync(w => w.FinishAsync());
            return (c, await h.GetResultAsync(), h);
        });

        Assert.Equal(1, count);
        Assert.Equal(["first"], result);
        var events = await UpdateWorker.HistoryAsync(handle);
        var accepted = Assert.Single(events.OfType(EventType.WorkflowExecutionUpdateAccepted)).WorkflowExecutionUpdateAcceptedEventAttributes;
        var completed = Assert.Single(events.OfType(EventType.WorkflowExecutionUpdateCompleted));
        Assert.Equal("update-1", accepted.ProtocolInstanceId);
        Assert.Equal("update-1/request", accepted.AcceptedRequestMessageId);
        Assert.Equal("Add", accepted.AcceptedRequest.Input.Name);
        Assert.Equal("update-1", accepted.AcceptedRequest.Meta.UpdateId);
        Assert.Equal(EventType.WorkflowTaskScheduled, events[(int)accepted.AcceptedRequestSequencingEventId - 1].EventType);
        var acceptedEvent = events.Single(e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);
        Assert.Equal(EventType.WorkflowTaskCompleted, events[(int)acceptedEvent.EventId - 2].EventType);
        Assert.Equal(acceptedEvent.EventId, completed.WorkflowExecutionUpdateCompletedEventAttributes.AcceptedEventId);
        Assert.Equal("update-1", completed.WorkflowExecutionUpdateCompletedEventAttributes.Meta.UpdateId);
        Assert.NotNull(completed.WorkflowExecutionUpdateCompletedEventAttributes.Outcome.Success);
    }

    [Fact]
    public async Task Validator_rejection_reaches_the_caller_and_leaves_no_events()
    {
        var queue = temporal.NewTaskQueue();
        var (before, after, rejection, handle) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.ExecuteUpdateAsync(w => w.AddAsync("first"));
            var b = (await h.FetchHistoryAsync()).Events.Count;
            var e = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => h.ExecuteUpdateAsync(w => w.AddAsync(string.Empty)));
            var a = (await h.FetchHistoryAsync()).Events.Count;
            Assert.Equal(2, await h.ExecuteUpdateAsync(w => w.AddAsync("second")));
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            return (b, a, e, h);
        });

        Assert.Contains("item: must not be empty", rejection.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(before, after);
        var events = await UpdateWorker.HistoryAsync(handle);
        Assert.Equal(2, events.OfType(EventType.WorkflowExecutionUpdateAccepted).Count);
        Assert.Empty(events.OfType(EventType.WorkflowTaskFailed));
        WorkerScope.AssertReferences(events);
    }

    [Fact]
    public async Task A_query_right_after_a_rejected_update_is_answered()
    {
        var queue = temporal.NewTaskQueue();
        var (items, handle) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.ExecuteUpdateAsync(w => w.AddAsync("first"));
            await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => h.ExecuteUpdateAsync(w => w.AddAsync(string.Empty)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var answer = await h.QueryAsync(w => w.Items(), new() { Rpc = new() { CancellationToken = deadline.Token } });
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            return (answer, h);
        });

        Assert.Equal(["first"], items);
        WorkerScope.AssertReferences(await UpdateWorker.HistoryAsync(handle));
    }

    [Fact]
    public async Task Failing_handler_fails_the_update_and_the_workflow_carries_on()
    {
        var queue = temporal.NewTaskQueue();
        var (failure, result, handle) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var e = await Assert.ThrowsAsync<WorkflowUpdateFailedException>(() => h.ExecuteUpdateAsync(w => w.BreakAsync("on purpose")));
            await h.ExecuteUpdateAsync(w => w.AddAsync("after"));
            await h.SignalAsync(w => w.FinishAsync());
            return (e, await h.GetResultAsync(), h);
        });

        var cause = Assert.IsType<ApplicationFailureException>(failure.InnerException);
        Assert.Equal("update failed: on purpose", cause.Message);
        Assert.Equal("Broken", cause.ErrorType);
        Assert.Equal(["after"], result);
        var events = await UpdateWorker.HistoryAsync(handle);
        var completed = events.OfType(EventType.WorkflowExecutionUpdateCompleted).Select(e => e.WorkflowExecutionUpdateCompletedEventAttributes.Outcome).ToList();
        Assert.Equal(2, completed.Count);
        Assert.Equal("update failed: on purpose", completed[0].Failure.Message);
        Assert.NotNull(completed[1].Success);
    }

    [Fact]
    public async Task Start_update_returns_at_acceptance_and_the_result_comes_later()
    {
        var queue = temporal.NewTaskQueue();
        var (countBefore, result) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var update = await h.StartUpdateAsync(w => w.AddWhenReleasedAsync("late"), new(WorkflowUpdateStage.Accepted));

            // Accepted, not completed: the workflow has the update in flight, so nothing was added yet.
            var count = await h.ExecuteUpdateAsync(w => w.AddAsync("early"));
            await h.SignalAsync(w => w.ReleaseAsync());
            var r = await update.GetResultAsync();
            await h.SignalAsync(w => w.FinishAsync());
            Assert.Equal(["early", "late"], await h.GetResultAsync());
            return (count, r);
        });

        Assert.Equal(1, countBefore);
        Assert.Equal(2, result);
    }

    [Fact]
    public async Task Same_update_id_returns_the_first_outcome_also_after_the_workflow_closed()
    {
        var queue = temporal.NewTaskQueue();
        var (first, second, afterClose, result) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var a = await h.ExecuteUpdateAsync(w => w.AddAsync("a"), new("same-id"));
            var b = await h.ExecuteUpdateAsync(w => w.AddAsync("b"), new("same-id"));
            await h.SignalAsync(w => w.FinishAsync());
            var r = await h.GetResultAsync();
            var c = await h.ExecuteUpdateAsync(w => w.AddAsync("c"), new("same-id"));
            return (a, b, c, r);
        });

        Assert.Equal(1, first);
        Assert.Equal(1, second);
        Assert.Equal(1, afterClose);
        Assert.Equal(["a"], result);
    }

    [Fact]
    public async Task Update_on_an_unknown_or_closed_workflow_is_NotFound()
    {
        var queue = temporal.NewTaskQueue();
        await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var unknown = temporal.Client.GetWorkflowHandle<UpdatableWorkflow>(temporal.NewWorkflowId());
            var missing = await Assert.ThrowsAsync<RpcException>(() => unknown.ExecuteUpdateAsync(w => w.AddAsync("x")));
            Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);

            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            var closed = await Assert.ThrowsAsync<RpcException>(() => h.ExecuteUpdateAsync(w => w.AddAsync("x")));
            Assert.Equal(RpcException.StatusCode.NotFound, closed.Code);
            Assert.Equal("workflow execution already completed", closed.Message);

            var wrongChain = temporal.Client.GetWorkflowHandle<UpdatableWorkflow>(h.Id, firstExecutionRunId: "not-the-first-run");
            var notFound = await Assert.ThrowsAsync<RpcException>(() => wrongChain.ExecuteUpdateAsync(w => w.AddAsync("x")));
            Assert.Equal(RpcException.StatusCode.NotFound, notFound.Code);
        });
    }

    [Fact]
    public async Task Update_with_start_starts_a_new_workflow_and_delivers_the_update_on_its_first_task()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var (count, handle) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var start = WithStartWorkflowOperation.Create((UpdatableWorkflow w) => w.RunAsync(), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });
            var c = await temporal.Client.ExecuteUpdateWithStartWorkflowAsync((UpdatableWorkflow w) => w.AddAsync("first"), new(start));
            var h = await start.GetHandleAsync();
            await h.SignalAsync(w => w.FinishAsync());
            Assert.Equal(["first"], await h.GetResultAsync());
            return (c, h);
        });

        Assert.Equal(1, count);
        var events = await UpdateWorker.HistoryAsync(handle);
        var accepted = events.Single(e => e.EventType == EventType.WorkflowExecutionUpdateAccepted);

        // The first workflow task carried the update: its completion is right before the acceptance.
        Assert.Equal(4, accepted.EventId - 1);
        Assert.Equal(EventType.WorkflowTaskCompleted, events[3].EventType);
    }

    [Fact]
    public async Task Update_with_start_uses_the_running_workflow_or_fails_by_its_conflict_policy()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var running = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(id, queue));
            await running.ExecuteUpdateAsync(w => w.AddAsync("existing"));

            var useExisting = WithStartWorkflowOperation.Create((UpdatableWorkflow w) => w.RunAsync(), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });
            Assert.Equal(2, await temporal.Client.ExecuteUpdateWithStartWorkflowAsync((UpdatableWorkflow w) => w.AddAsync("second"), new(useExisting)));
            Assert.Equal(running.ResultRunId, (await useExisting.GetHandleAsync()).ResultRunId);

            var fail = WithStartWorkflowOperation.Create((UpdatableWorkflow w) => w.RunAsync(), new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.Fail });
            var e = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() => temporal.Client.ExecuteUpdateWithStartWorkflowAsync((UpdatableWorkflow w) => w.AddAsync("third"), new(fail)));
            Assert.Equal(running.ResultRunId, e.RunId);

            await running.SignalAsync(w => w.FinishAsync());
            Assert.Equal(["existing", "second"], await running.GetResultAsync());
        });
    }

    [Fact]
    public async Task Update_reaches_a_workflow_blocked_on_a_timer_and_time_skipping_still_finishes_it()
    {
        var queue = temporal.NewTaskQueue();
        var started = DateTime.UtcNow;
        var (answer, result) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SleepingUpdatableWorkflow w) => w.RunAsync(TimeSpan.FromHours(6)), new(temporal.NewWorkflowId(), queue));
            var a = await h.ExecuteUpdateAsync(w => w.AddAsync("while sleeping"));
            return (a, await h.GetResultAsync());
        });

        Assert.StartsWith("while sleeping at ", answer, StringComparison.Ordinal);
        Assert.Equal(["while sleeping"], result);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMinutes(1), "six virtual hours took a minute of wall time");
    }

    [Fact]
    public async Task Malformed_update_requests_get_the_frontends_errors()
    {
        var service = temporal.Client.Connection.WorkflowService;
        var noMeta = await Assert.ThrowsAsync<RpcException>(() => service.UpdateWorkflowExecutionAsync(new() { Namespace = "default", WorkflowExecution = new() { WorkflowId = "any" } }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, noMeta.Code);
        Assert.Equal("Update meta is not set on request.", noMeta.Message);

        var admitted = await Assert.ThrowsAsync<RpcException>(() => service.UpdateWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = "any" },
            Request = new() { Meta = new() { UpdateId = "u" }, Input = new() { Name = "Add" } },
            WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
        }));
        Assert.Equal(RpcException.StatusCode.PermissionDenied, admitted.Code);

        var notStartAndUpdate = await Assert.ThrowsAsync<RpcException>(() => service.ExecuteMultiOperationAsync(new() { Namespace = "default" }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, notStartAndUpdate.Code);
        Assert.Equal("Operations have to be exactly [Start, Update].", notStartAndUpdate.Message);
    }

    [Fact]
    public async Task Update_admitted_while_the_workflow_completes_is_aborted_with_NotFound()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((ClosingWorkflow w) => w.RunAsync(), new(id, queue));
            await HeldTasks.StartedAsync(id);

            // The first workflow task is in flight: the update waits for the next task, which never comes.
            var update = h.StartUpdateAsync(w => w.AddAsync("late"), new("late-update", WorkflowUpdateStage.Accepted));
            await WaitUntilAdmittedAsync(id, "late-update");
            HeldTasks.Release(id);

            var e = await Assert.ThrowsAsync<RpcException>(() => update);
            Assert.Equal(RpcException.StatusCode.NotFound, e.Code);
            Assert.Equal("workflow update was aborted by closing workflow", e.Message);
            await h.GetResultAsync();
            var events = await UpdateWorker.HistoryAsync(h);
            Assert.Empty(events.OfType(EventType.WorkflowExecutionUpdateAccepted));
        });
    }

    [Fact]
    public async Task Update_admitted_while_the_workflow_continues_as_new_goes_to_the_new_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var (where, lastRun, firstRun) = await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((ContinuingWorkflow w) => w.RunAsync(false), new(id, queue));
            await HeldTasks.StartedAsync(id);
            var update = h.ExecuteUpdateAsync(w => w.WhereAsync(), new("moving-update"));
            await WaitUntilAdmittedAsync(id, "moving-update");
            HeldTasks.Release(id);
            return (await update, await h.GetResultAsync(), h.ResultRunId);
        });

        Assert.Equal(firstRun, where);
        Assert.NotEqual(firstRun, lastRun);
    }

    [Fact]
    public async Task A_wait_that_outlasts_the_call_answers_the_stage_reached()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        await UpdateWorker.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((UpdatableWorkflow w) => w.RunAsync(), new(id, queue));
            await h.ExecuteUpdateAsync(w => w.AddAsync("first"));
            var service = temporal.Client.Connection.WorkflowService;
            var shortCall = new RpcOptions { Timeout = TimeSpan.FromSeconds(3) };
            var request = new Temporalio.Api.WorkflowService.V1.UpdateWorkflowExecutionRequest
            {
                Namespace = temporal.Client.Options.Namespace,
                WorkflowExecution = new() { WorkflowId = id },
                Request = new()
                {
                    Meta = new() { UpdateId = "held-update" },
                    Input = new() { Name = "AddWhenReleased", Args = new() { Payloads_ = { temporal.Client.Options.DataConverter.PayloadConverter.ToPayload("held") } } },
                },
                WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
            };

            // Asked for completion, the call ends before the handler can finish and answers the stage reached.
            var first = await service.UpdateWorkflowExecutionAsync(request, shortCall);
            Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Accepted, first.Stage);
            Assert.Null(first.Outcome);
            Assert.Equal(h.ResultRunId, first.UpdateRef.WorkflowExecution.RunId);

            var poll = new Temporalio.Api.WorkflowService.V1.PollWorkflowExecutionUpdateRequest
            {
                Namespace = temporal.Client.Options.Namespace,
                UpdateRef = new() { WorkflowExecution = new() { WorkflowId = id }, UpdateId = "held-update" },
                WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Completed },
            };
            Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Accepted, (await service.PollWorkflowExecutionUpdateAsync(poll, shortCall)).Stage);

            await h.SignalAsync(w => w.ReleaseAsync());
            var done = await service.PollWorkflowExecutionUpdateAsync(poll);
            Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Completed, done.Stage);
            Assert.Equal(2, (int)temporal.Client.Options.DataConverter.PayloadConverter.ToValue(done.Outcome.Success.Payloads_[0], typeof(int))!);

            // The same id again is the same update: its outcome, not a second run of the handler.
            var again = await service.UpdateWorkflowExecutionAsync(request);
            Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Completed, again.Stage);
            Assert.Equal(done.Outcome, again.Outcome);
            await h.SignalAsync(w => w.FinishAsync());
            Assert.Equal(["first", "held"], await h.GetResultAsync());
        });
    }

    /// <summary>Polls the update until the server knows it: NotFound before admission, the reached stage after.</summary>
    private async Task WaitUntilAdmittedAsync(string workflowId, string updateId)
    {
        while (true)
        {
            try
            {
                var response = await temporal.Client.Connection.WorkflowService.PollWorkflowExecutionUpdateAsync(
                    new()
                    {
                        Namespace = temporal.Client.Options.Namespace,
                        UpdateRef = new() { WorkflowExecution = new() { WorkflowId = workflowId }, UpdateId = updateId },
                        WaitPolicy = new() { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Accepted },
                    },
                    new() { Timeout = TimeSpan.FromSeconds(1.5) });
                Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Admitted, response.Stage);
                return;
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                await Task.Delay(20);
            }
        }
    }
}
