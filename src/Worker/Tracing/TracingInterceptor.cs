using System.Diagnostics;
using Temporalio.Api.Common.V1;
using Temporalio.Client.Interceptors;
using Temporalio.Converters;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Lifecycle.Worker.Tracing;

/// <summary>
/// Carries W3C trace context across client → workflow → activity in the <c>_tracer-data</c> Temporal header, the
/// header every Temporal SDK's OpenTelemetry integration uses, so traces join up across processes and languages.
/// </summary>
/// <remarks>
/// Workflow code can be replayed on another worker, and a .NET span can be neither resumed nor given a chosen id, so
/// workflow-side spans are started and stopped at once and only when not replaying; they exist to give downstream
/// activities and children a parent. A workflow started without a header (by a schedule) gets a root span.
/// </remarks>
public sealed class TracingInterceptor : IClientInterceptor, IWorkerInterceptor
{
    /// <summary>The Temporal header that holds the serialized trace context.</summary>
    public const string HeaderKey = "_tracer-data";

    /// <summary>The name of <see cref="Source"/>, for listeners (a constant, so naming it never initializes this type).</summary>
    public const string SourceName = "Lifecycle.Temporal";

    /// <summary>The source of every span this interceptor makes.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <inheritdoc />
    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(nextInterceptor);

    /// <inheritdoc />
    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new WorkflowInbound(nextInterceptor);

    /// <inheritdoc />
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new ActivityInbound(nextInterceptor);

    /// <summary>Writes a span context into a copy of the headers.</summary>
    public static Dictionary<string, Payload> Inject(IEnumerable<KeyValuePair<string, Payload>>? headers, ActivityContext context)
    {
        var copy = headers is null ? new Dictionary<string, Payload>() : new Dictionary<string, Payload>(headers);
        if (context == default)
        {
            return copy;
        }
        var carrier = new Dictionary<string, string>
        {
            ["traceparent"] = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}",
        };
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            carrier["tracestate"] = context.TraceState;
        }
        copy[HeaderKey] = DataConverter.Default.PayloadConverter.ToPayload(carrier);
        return copy;
    }

    /// <summary>Reads a span context from headers; <c>default</c> when there is none or it is malformed.</summary>
    public static ActivityContext Extract(IEnumerable<KeyValuePair<string, Payload>>? headers)
    {
        var payload = headers?.FirstOrDefault(h => h.Key == HeaderKey).Value;
        if (payload is null)
        {
            return default;
        }
        try
        {
            var carrier = DataConverter.Default.PayloadConverter.ToValue<Dictionary<string, string>>(payload);
            carrier.TryGetValue("tracestate", out var state);
            return carrier.TryGetValue("traceparent", out var parent)
                && ActivityContext.TryParse(parent, state, isRemote: true, out var context) ? context : default;
        }
        catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException or ArgumentException)
        {
            // A foreign or corrupt header must never fail the call it rides on.
            return default;
        }
    }

    private static ActivityContext ContextOf(Activity? activity) => activity?.Context ?? default;

    private sealed class ClientOutbound(ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
    {
        public override async Task<Temporalio.Client.WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(
            StartWorkflowInput input)
        {
            var name = input.Options.StartSignal is null ? "StartWorkflow" : "SignalWithStartWorkflow";
            using var span = Source.StartActivity($"{name}:{input.Workflow}", ActivityKind.Client);
            span?.SetTag("temporal.workflow_id", input.Options.Id);
            return await base.StartWorkflowAsync<TWorkflow, TResult>(
                input with { Headers = Inject(input.Headers, ContextOf(Activity.Current)) });
        }

        public override async Task SignalWorkflowAsync(SignalWorkflowInput input)
        {
            using var span = Source.StartActivity($"SignalWorkflow:{input.Signal}", ActivityKind.Client);
            span?.SetTag("temporal.workflow_id", input.Id);
            await base.SignalWorkflowAsync(input with { Headers = Inject(input.Headers, ContextOf(Activity.Current)) });
        }

        public override async Task<TResult> QueryWorkflowAsync<TResult>(QueryWorkflowInput input)
        {
            using var span = Source.StartActivity($"QueryWorkflow:{input.Query}", ActivityKind.Client);
            span?.SetTag("temporal.workflow_id", input.Id);
            return await base.QueryWorkflowAsync<TResult>(input with { Headers = Inject(input.Headers, ContextOf(Activity.Current)) });
        }

        public override async Task<Temporalio.Client.WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(
            StartWorkflowUpdateInput input)
        {
            using var span = Source.StartActivity($"StartWorkflowUpdate:{input.Update}", ActivityKind.Client);
            span?.SetTag("temporal.workflow_id", input.Id);
            return await base.StartWorkflowUpdateAsync<TResult>(
                input with { Headers = Inject(input.Headers, ContextOf(Activity.Current)) });
        }

        public override async Task<Temporalio.Client.WorkflowUpdateHandle<TUpdateResult>> StartUpdateWithStartWorkflowAsync<TUpdateResult>(
            StartUpdateWithStartWorkflowInput input)
        {
            using var span = Source.StartActivity($"UpdateWithStartWorkflow:{input.Update}", ActivityKind.Client);
            var context = ContextOf(Activity.Current);
            if (input.Options.StartWorkflowOperation is { } start)
            {
                start.Headers = Inject(start.Headers, context);
            }
            return await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(input with { Headers = Inject(input.Headers, context) });
        }
    }

    private sealed class WorkflowInbound(WorkflowInboundInterceptor next) : WorkflowInboundInterceptor(next)
    {
        /// <summary>The parent for spans of outbound calls made by this cached workflow instance.</summary>
        internal ActivityContext Parent { get; private set; }

        public override void Init(WorkflowOutboundInterceptor outbound) => base.Init(new WorkflowOutbound(outbound, this));

        public override Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            var fromHeader = Extract(Workflow.Info.Headers);
            Parent = fromHeader;
            if (!Workflow.Unsafe.IsReplaying)
            {
                // No header means no caller to join: a schedule (or the CLI) started it, so it roots its own trace.
                using var span = Source.StartActivity(
                    $"RunWorkflow:{Workflow.Info.WorkflowType}",
                    ActivityKind.Server,
                    fromHeader);
                if (span is not null)
                {
                    span.SetTag("temporal.workflow_id", Workflow.Info.WorkflowId);
                    span.SetTag("temporal.run_id", Workflow.Info.RunId);
                    if (fromHeader == default)
                    {
                        span.SetTag("temporal.root", true);
                    }
                    Parent = span.Context;
                }
            }
            return base.ExecuteWorkflowAsync(input);
        }

        public override Task HandleSignalAsync(HandleSignalInput input)
        {
            if (!Workflow.Unsafe.IsReplaying)
            {
                using var span = Source.StartActivity(
                    $"HandleSignal:{input.Signal}", ActivityKind.Server, Extract(input.Headers) is { } c && c != default ? c : Parent);
                span?.SetTag("temporal.workflow_id", Workflow.Info.WorkflowId);
            }
            return base.HandleSignalAsync(input);
        }

        public override Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            if (!Workflow.Unsafe.IsReplaying)
            {
                using var span = Source.StartActivity(
                    $"HandleUpdate:{input.Update}", ActivityKind.Server, Extract(input.Headers) is { } c && c != default ? c : Parent);
                span?.SetTag("temporal.workflow_id", Workflow.Info.WorkflowId);
            }
            return base.HandleUpdateAsync(input);
        }

        /// <summary>Headers for an outbound call, with a (non-replayed) span marking the call.</summary>
        internal Dictionary<string, Payload> Outbound(IEnumerable<KeyValuePair<string, Payload>>? headers, string spanName)
        {
            if (Workflow.Unsafe.IsReplaying)
            {
                return Inject(headers, Parent);
            }
            using var span = Source.StartActivity(spanName, ActivityKind.Client, Parent);
            return Inject(headers, span?.Context ?? Parent);
        }
    }

    private sealed class WorkflowOutbound(WorkflowOutboundInterceptor next, WorkflowInbound inbound) : WorkflowOutboundInterceptor(next)
    {
        public override Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input) =>
            base.ScheduleActivityAsync<TResult>(input with { Headers = inbound.Outbound(input.Headers, $"StartActivity:{input.Activity}") });

        public override Task<TResult> ScheduleLocalActivityAsync<TResult>(ScheduleLocalActivityInput input) =>
            base.ScheduleLocalActivityAsync<TResult>(input with { Headers = inbound.Outbound(input.Headers, $"StartActivity:{input.Activity}") });

        public override Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(StartChildWorkflowInput input) =>
            base.StartChildWorkflowAsync<TWorkflow, TResult>(
                input with { Headers = inbound.Outbound(input.Headers, $"StartChildWorkflow:{input.Workflow}") });

        public override Task SignalChildWorkflowAsync(SignalChildWorkflowInput input) =>
            base.SignalChildWorkflowAsync(input with { Headers = inbound.Outbound(input.Headers, $"SignalChildWorkflow:{input.Signal}") });

        public override Task SignalExternalWorkflowAsync(SignalExternalWorkflowInput input) =>
            base.SignalExternalWorkflowAsync(input with { Headers = inbound.Outbound(input.Headers, $"SignalExternalWorkflow:{input.Signal}") });

        public override ContinueAsNewException CreateContinueAsNewException(CreateContinueAsNewExceptionInput input) =>
            base.CreateContinueAsNewException(input with { Headers = Inject(input.Headers, inbound.Parent) });
    }

    private sealed class ActivityInbound(ActivityInboundInterceptor next) : ActivityInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            var info = Temporalio.Activities.ActivityExecutionContext.Current.Info;
            using var span = Source.StartActivity($"RunActivity:{info.ActivityType}", ActivityKind.Server, Extract(input.Headers));
            span?.SetTag("temporal.workflow_id", info.WorkflowId);
            span?.SetTag("temporal.activity_id", info.ActivityId);
            span?.SetTag("temporal.attempt", info.Attempt);
            try
            {
                return await base.ExecuteActivityAsync(input);
            }
            catch (Exception e)
            {
                span?.SetStatus(ActivityStatusCode.Error, e.Message);
                span?.AddException(e);
                throw;
            }
        }
    }
}
