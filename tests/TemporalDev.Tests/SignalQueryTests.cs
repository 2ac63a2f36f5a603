using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Signals, signal-with-start and queries.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class SignalQueryTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Signals_are_delivered_in_order_and_queries_see_them()
    {
        var queue = temporal.NewTaskQueue();
        var (result, queried, handle) = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.AddAsync("a"));
            await h.SignalAsync(w => w.AddAsync("b"));
            var q = await h.QueryAsync(w => w.Items());
            await h.SignalAsync(w => w.FinishAsync());
            return (await h.GetResultAsync(), q, h);
        });

        Assert.Equal(["a", "b"], result);
        Assert.Equal(["a", "b"], queried);
        var (types, _) = await WorkerScope.HistoryAsync(handle);
        Assert.Equal(3, types.Count(t => t == EventType.WorkflowExecutionSignaled));
    }

    [Fact]
    public async Task Failing_query_raises_WorkflowQueryFailedException()
    {
        var queue = temporal.NewTaskQueue();
        await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var e = await Assert.ThrowsAsync<WorkflowQueryFailedException>(() => h.QueryAsync(w => w.Broken()));
            Assert.Contains("always fails", e.Message, StringComparison.Ordinal);
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
        });
    }

    [Fact]
    public async Task Query_on_a_completed_workflow_is_answered_by_replay()
    {
        var queue = temporal.NewTaskQueue();
        var items = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.AddAsync("kept"));
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            return await h.QueryAsync(w => w.Items());
        });

        Assert.Equal(["kept"], items);
    }

    [Fact]
    public async Task Query_rejected_when_not_open()
    {
        var queue = temporal.NewTaskQueue();
        await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            var e = await Assert.ThrowsAsync<WorkflowQueryRejectedException>(() =>
                h.QueryAsync(w => w.Items(), new() { RejectCondition = QueryRejectCondition.NotOpen }));
            Assert.Equal(WorkflowExecutionStatus.Completed, e.WorkflowStatus);
        });
    }

    [Fact]
    public async Task SignalWithStart_starts_then_signals_the_running_workflow()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var result = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var options = new WorkflowOptions(id, queue);
            options.SignalWithStart((SignalQueryWorkflow w) => w.AddAsync("first"));
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), options);
            var again = new WorkflowOptions(id, queue);
            again.SignalWithStart((SignalQueryWorkflow w) => w.AddAsync("second"));
            var h2 = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), again);
            Assert.Equal(h.ResultRunId, h2.ResultRunId);
            await h.SignalAsync(w => w.FinishAsync());
            return await h.GetResultAsync();
        });

        Assert.Equal(["first", "second"], result);
    }

    [Fact]
    public async Task Signal_to_a_completed_workflow_is_NotFound()
    {
        var queue = temporal.NewTaskQueue();
        await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await h.SignalAsync(w => w.FinishAsync());
            await h.GetResultAsync();
            var e = await Assert.ThrowsAsync<RpcException>(() => h.SignalAsync(w => w.AddAsync("late")));
            Assert.Equal(RpcException.StatusCode.NotFound, e.Code);
        });
    }

    [Fact]
    public async Task Signal_from_another_workflow_is_delivered()
    {
        var queue = temporal.NewTaskQueue();
        var result = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var target = await temporal.Client.StartWorkflowAsync((SignalQueryWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            var sent = await temporal.Client.ExecuteWorkflowAsync((SignalSenderWorkflow w) => w.RunAsync(target.Id), new(temporal.NewWorkflowId(), queue));
            Assert.Equal("sent", sent);
            var missing = await temporal.Client.ExecuteWorkflowAsync((SignalSenderWorkflow w) => w.RunAsync("nobody-home"), new(temporal.NewWorkflowId(), queue));
            Assert.StartsWith("failed", missing, StringComparison.Ordinal);
            await target.SignalAsync(w => w.FinishAsync());
            return await target.GetResultAsync();
        });

        Assert.Equal(["from another workflow"], result);
    }
}
