using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>The server's front door and a workflow with one activity.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class BasicsTests(TemporalFixture temporal)
{
    [Fact]
    public async Task GetSystemInfo_reports_the_real_servers_capabilities()
    {
        var info = await temporal.Client.Connection.WorkflowService.GetSystemInfoAsync(new GetSystemInfoRequest());

        Assert.True(info.Capabilities.SignalAndQueryHeader);
        Assert.True(info.Capabilities.SdkMetadata);
        Assert.True(info.Capabilities.EncodedFailureAttributes);
        Assert.False(string.IsNullOrEmpty(info.ServerVersion));
    }

    [Fact]
    public async Task DescribeNamespace_answers_default_without_worker_heartbeats()
    {
        var ns = await temporal.Client.Connection.WorkflowService.DescribeNamespaceAsync(new DescribeNamespaceRequest { Namespace = "default" });

        Assert.Equal("default", ns.NamespaceInfo.Name);
        Assert.Equal(NamespaceState.Registered, ns.NamespaceInfo.State);
        Assert.False(ns.NamespaceInfo.Capabilities.WorkerHeartbeats);
    }

    [Fact]
    public async Task DescribeNamespace_of_an_unknown_namespace_is_NotFound()
    {
        var e = await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() =>
            temporal.Client.Connection.WorkflowService.DescribeNamespaceAsync(new DescribeNamespaceRequest { Namespace = "nope" }));

        Assert.Equal(Temporalio.Exceptions.RpcException.StatusCode.NotFound, e.Code);
    }

    [Fact]
    public async Task Unimplemented_rpcs_name_the_method()
    {
        var e = await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() =>
            temporal.Client.Connection.WorkflowService.ResetWorkflowExecutionAsync(new ResetWorkflowExecutionRequest { Namespace = "default" }));

        Assert.Equal(Temporalio.Exceptions.RpcException.StatusCode.Unimplemented, e.Code);
        Assert.Contains("ResetWorkflowExecution", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workflow_with_one_activity_writes_the_real_servers_history()
    {
        var queue = temporal.NewTaskQueue();
        var handle = await WorkerScope.RunAsync(temporal, queue, async () =>
        {
            var h = await temporal.Client.StartWorkflowAsync((GreetingWorkflow w) => w.RunAsync("Temporal"), new(temporal.NewWorkflowId(), queue));
            Assert.Equal("Hello, Temporal!", await h.GetResultAsync());
            return h;
        });

        var (types, history) = await WorkerScope.HistoryAsync(handle);
        Assert.Equal(
            [
                EventType.WorkflowExecutionStarted,
                EventType.WorkflowTaskScheduled,
                EventType.WorkflowTaskStarted,
                EventType.WorkflowTaskCompleted,
                EventType.ActivityTaskScheduled,
                EventType.ActivityTaskStarted,
                EventType.ActivityTaskCompleted,
                EventType.WorkflowTaskScheduled,
                EventType.WorkflowTaskStarted,
                EventType.WorkflowTaskCompleted,
                EventType.WorkflowExecutionCompleted,
            ],
            types);
        WorkerScope.AssertReferences(history.Events);
    }

    [Fact]
    public async Task Describe_reports_a_completed_run()
    {
        var queue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        await WorkerScope.RunAsync(temporal, queue, () => temporal.Client.ExecuteWorkflowAsync((GreetingWorkflow w) => w.RunAsync("x"), new(id, queue)));

        var description = await temporal.Client.GetWorkflowHandle(id).DescribeAsync();

        Assert.Equal(WorkflowExecutionStatus.Completed, description.Status);
        Assert.Equal(queue, description.TaskQueue);
        Assert.Equal("GreetingWorkflow", description.WorkflowType);
        Assert.NotNull(description.CloseTime);
        Assert.Equal(11, description.HistoryLength);
    }

    [Fact]
    public async Task Unknown_workflow_is_NotFound()
    {
        var e = await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() => temporal.Client.GetWorkflowHandle("no-such-workflow").DescribeAsync());

        Assert.Equal(Temporalio.Exceptions.RpcException.StatusCode.NotFound, e.Code);
    }
}
