using Lifecycle.Testing.Temporal;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Exceptions;
using TemporalDev.Tests.Workflows;
using Xunit;

namespace TemporalDev.Tests;

/// <summary>The ById activity RPCs, through the SDK's AsyncActivityHandle by workflow id and activity id.</summary>
[Collection(TimeSkippingCollection.Name)]
public sealed class AsyncActivityCompletionTests(TemporalFixture temporal)
{
    [Fact]
    public async Task Heartbeat_then_complete_by_id()
    {
        var (result, pendingDetails) = await RunAsync(async (handle, activity) =>
        {
            await activity.HeartbeatAsync(new() { Details = ["half way"] });
            var pending = (await temporal.Client.Connection.WorkflowService.DescribeWorkflowExecutionAsync(
                new() { Namespace = temporal.Client.Options.Namespace, Execution = new() { WorkflowId = handle.Id } })).PendingActivities.Single();
            await activity.CompleteAsync("done outside");
            return temporal.Client.Options.DataConverter.PayloadConverter.ToValue<string>(pending.HeartbeatDetails.Payloads_[0]);
        });

        Assert.Equal("done outside", result);
        Assert.Equal("half way", pendingDetails);
    }

    [Fact]
    public async Task Fail_by_id_reaches_the_workflow_as_an_activity_failure()
    {
        var (result, _) = await RunAsync(async (_, activity) =>
        {
            await activity.FailAsync(new ApplicationFailureException("refused outside"));
            return string.Empty;
        });

        Assert.Equal("failed: refused outside", result);
    }

    [Fact]
    public async Task Report_cancellation_by_id_after_the_workflow_is_canceled()
    {
        var (result, _) = await RunAsync(async (handle, activity) =>
        {
            await handle.CancelAsync();
            await WaitForActivityStateAsync(handle.Id, PendingActivityState.CancelRequested);
            await activity.ReportCancellationAsync();
            return string.Empty;
        });

        Assert.Equal("canceled", result);
    }

    [Fact]
    public async Task Completing_an_unknown_activity_by_id_is_NotFound()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            temporal.Client.GetAsyncActivityHandle(temporal.NewWorkflowId(), string.Empty, "nope").CompleteAsync("x"));

        Assert.Equal(RpcException.StatusCode.NotFound, e.Code);
    }

    private async Task<(string Result, string Observed)> RunAsync(Func<WorkflowHandle<ExternalActivityWorkflow, string>, AsyncActivityHandle, Task<string>> outside)
    {
        var queue = temporal.NewTaskQueue();
        return await RemainderWorker.RunAsync(temporal, queue, async () =>
        {
            var handle = await temporal.Client.StartWorkflowAsync((ExternalActivityWorkflow w) => w.RunAsync(), new(temporal.NewWorkflowId(), queue));
            await WaitForActivityStateAsync(handle.Id, PendingActivityState.Started);
            var observed = await outside(handle, temporal.Client.GetAsyncActivityHandle(handle.Id, handle.ResultRunId ?? string.Empty, ExternalActivityWorkflow.ActivityId));
            return (await handle.GetResultAsync(), observed);
        });
    }

    /// <summary>Waits until the workflow's one activity is in the given state (the worker started it, or a cancel reached it).</summary>
    private async Task WaitForActivityStateAsync(string workflowId, PendingActivityState state)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var described = await temporal.Client.Connection.WorkflowService.DescribeWorkflowExecutionAsync(
                new() { Namespace = temporal.Client.Options.Namespace, Execution = new() { WorkflowId = workflowId } },
                new() { CancellationToken = deadline.Token });
            if (described.PendingActivities.Any(a => a.State == state)) return;
            await Task.Delay(20, deadline.Token);
        }
    }
}
