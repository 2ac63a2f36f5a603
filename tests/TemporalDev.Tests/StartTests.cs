using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>Workflow id reuse and conflict policies.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class StartTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Duplicate_start_of_a_running_workflow_raises_WorkflowAlreadyStartedException()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var first = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(id, queue));

        var e = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() =>
            temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(id, queue)));

        Assert.Equal(id, e.WorkflowId);
        Assert.Equal(first.ResultRunId, e.RunId);
        await first.TerminateAsync("test over");
    }

    [Fact]
    public async Task UseExisting_conflict_policy_returns_the_running_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var first = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(id, queue));

        var second = await temporal.Client.StartWorkflowAsync(
            (WaitForeverWorkflow w) => w.RunAsync(),
            new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting });

        Assert.Equal(first.ResultRunId, second.ResultRunId);
        await first.TerminateAsync("test over");
    }

    [Fact]
    public async Task TerminateExisting_conflict_policy_replaces_the_running_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var first = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(id, queue));

        var second = await temporal.Client.StartWorkflowAsync(
            (WaitForeverWorkflow w) => w.RunAsync(),
            new(id, queue) { IdConflictPolicy = WorkflowIdConflictPolicy.TerminateExisting });

        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
        Assert.Equal(WorkflowExecutionStatus.Terminated, (await temporal.Client.GetWorkflowHandle(id, first.ResultRunId).DescribeAsync()).Status);
        await second.TerminateAsync("test over");
    }

    [Theory]
    [InlineData(WorkflowIdReusePolicy.AllowDuplicate, true)]
    [InlineData(WorkflowIdReusePolicy.AllowDuplicateFailedOnly, false)]
    [InlineData(WorkflowIdReusePolicy.RejectDuplicate, false)]
    public async Task Reuse_policy_decides_whether_a_completed_id_starts_again(WorkflowIdReusePolicy policy, bool allowed)
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            await temporal.Client.ExecuteWorkflowAsync((GreetingWorkflow w) => w.RunAsync("once"), new(id, queue));
            var options = new WorkflowOptions(id, queue) { IdReusePolicy = policy };
            if (allowed)
            {
                Assert.Equal("Hello, twice!", await temporal.Client.ExecuteWorkflowAsync((GreetingWorkflow w) => w.RunAsync("twice"), options));
            }
            else
            {
                await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() => temporal.Client.StartWorkflowAsync((GreetingWorkflow w) => w.RunAsync("twice"), options));
            }
        });
    }

    [Fact]
    public async Task AllowDuplicateFailedOnly_starts_again_after_a_termination()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        var first = await temporal.Client.StartWorkflowAsync((WaitForeverWorkflow w) => w.RunAsync(), new(id, queue));
        await first.TerminateAsync("make room");

        var second = await temporal.Client.StartWorkflowAsync(
            (WaitForeverWorkflow w) => w.RunAsync(),
            new(id, queue) { IdReusePolicy = WorkflowIdReusePolicy.AllowDuplicateFailedOnly });

        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
        await second.TerminateAsync("test over");
    }

    [Fact]
    public async Task Start_without_a_task_queue_is_InvalidArgument()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => temporal.Client.Connection.WorkflowService.StartWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            WorkflowId = temporal.NewWorkflowId(),
            WorkflowType = new() { Name = "X" },
            RequestId = Guid.NewGuid().ToString(),
        }));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, e.Code);
        Assert.Contains("task_queue", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_request_id_returns_the_same_run()
    {
        var request = new Temporalio.Api.WorkflowService.V1.StartWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowId = temporal.NewWorkflowId(),
            WorkflowType = new() { Name = "WaitForeverWorkflow" },
            TaskQueue = new() { Name = temporal.NewTaskQueue() },
            RequestId = Guid.NewGuid().ToString(),
        };

        var first = await temporal.Client.Connection.WorkflowService.StartWorkflowExecutionAsync(request);
        var again = await temporal.Client.Connection.WorkflowService.StartWorkflowExecutionAsync(request);

        Assert.Equal(first.RunId, again.RunId);
        await temporal.Client.GetWorkflowHandle(request.WorkflowId).TerminateAsync("test over");
    }
}
