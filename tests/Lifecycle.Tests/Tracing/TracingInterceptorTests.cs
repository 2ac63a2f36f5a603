using System.Collections.Concurrent;
using System.Diagnostics;
using Lifecycle.Testing.Temporal;
using Lifecycle.Worker.Tracing;
using Temporalio.Activities;
using Temporalio.Client;
using Temporalio.Worker;
using Temporalio.Workflows;
using Xunit;

namespace Lifecycle.Tests.Tracing;

/// <summary>The tracing interceptor joins client, workflow and activity spans into one trace through the real server.</summary>
public sealed class TracingInterceptorTests(TemporalFixture temporal) : IClassFixture<TemporalFixture>, IDisposable
{
    private readonly ConcurrentBag<Activity> spans = [];
    private readonly ActivityListener listener = new()
    {
        ShouldListenTo = source => source.Name == TracingInterceptor.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public void Dispose() => listener.Dispose();

    [Fact]
    public async Task A_client_start_an_activity_and_the_workflow_share_one_trace()
    {
        Listen();
        var client = Traced();
        var taskQueue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue).AddWorkflow<TracedWorkflow>().AddActivity(TracedWorkflow.Echo));

        var result = await worker.ExecuteAsync(() => client.ExecuteWorkflowAsync((TracedWorkflow wf) => wf.RunAsync("hi"), new(id, taskQueue)));

        Assert.Equal("hi", result);
        var mine = Of(id);
        var start = Assert.Single(mine, s => s.DisplayName == $"StartWorkflow:{nameof(TracedWorkflow)}");
        var run = Assert.Single(mine, s => s.DisplayName == $"RunWorkflow:{nameof(TracedWorkflow)}");
        var activity = Assert.Single(mine, s => s.DisplayName == "RunActivity:Echo");
        Assert.Equal(start.TraceId, run.TraceId);
        Assert.Equal(start.TraceId, activity.TraceId);
        Assert.Equal(start.SpanId, run.ParentSpanId);
        Assert.Null(run.GetTagItem("temporal.root"));
    }

    [Fact]
    public async Task A_workflow_started_without_trace_context_roots_its_own_trace()
    {
        Listen();
        var taskQueue = temporal.NewTaskQueue();
        var id = temporal.NewWorkflowId();
        using var worker = new TemporalWorker(Traced(), new TemporalWorkerOptions(taskQueue).AddWorkflow<TracedWorkflow>().AddActivity(TracedWorkflow.Echo));

        // The fixture's own client carries no interceptor, as a schedule's start carries no header.
        await worker.ExecuteAsync(() => temporal.Client.ExecuteWorkflowAsync((TracedWorkflow wf) => wf.RunAsync("x"), new(id, taskQueue)));

        var mine = Of(id);
        var run = Assert.Single(mine, s => s.DisplayName == $"RunWorkflow:{nameof(TracedWorkflow)}");
        Assert.Equal(default, run.ParentSpanId);
        Assert.Equal(true, run.GetTagItem("temporal.root"));
        Assert.Equal(run.TraceId, Assert.Single(mine, s => s.DisplayName == "RunActivity:Echo").TraceId);
    }

    [Fact]
    public void A_malformed_header_is_ignored_rather_than_failing_the_call()
    {
        var headers = new Dictionary<string, Temporalio.Api.Common.V1.Payload>
        {
            [TracingInterceptor.HeaderKey] = Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload(new Dictionary<string, string> { ["traceparent"] = "garbage" }),
        };

        Assert.Equal(default, TracingInterceptor.Extract(headers));
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var back = TracingInterceptor.Extract(TracingInterceptor.Inject(null, context));
        Assert.Equal(context.TraceId, back.TraceId);
        Assert.Equal(context.SpanId, back.SpanId);
    }

    private void Listen()
    {
        listener.ActivityStopped = spans.Add;
        ActivitySource.AddActivityListener(listener);
    }

    private TemporalClient Traced() => new(temporal.Client.Connection, new() { Namespace = temporal.Client.Options.Namespace, Interceptors = [new TracingInterceptor()] });

    private List<Activity> Of(string workflowId) => [.. spans.Where(s => (s.GetTagItem("temporal.workflow_id") as string) == workflowId)];

    [Workflow]
    public sealed class TracedWorkflow
    {
        [Activity]
        public static string Echo(string text) => text;

        [WorkflowRun]
        public Task<string> RunAsync(string text) =>
            Workflow.ExecuteActivityAsync(() => Echo(text), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
    }
}
