using global::Grpc.Core;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Failure.V1;

namespace TemporalDev.Grpc;

/// <summary>The gRPC error shapes the SDK turns into typed exceptions.</summary>
public static class RpcErrors
{
    public static RpcException NotFound(string message) => WithDetails(StatusCode.NotFound, message, new NotFoundFailure());

    public static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static RpcException FailedPrecondition(string message) => new(new Status(StatusCode.FailedPrecondition, message));

    public static RpcException Unimplemented(string message) => new(new Status(StatusCode.Unimplemented, message));

    public static RpcException NamespaceNotFound(string ns) =>
        WithDetails(StatusCode.NotFound, $"Namespace {ns} is not found.", new NamespaceNotFoundFailure { Namespace = ns });

    public static RpcException WorkflowNotFound(string workflowId, string? runId) =>
        NotFound(string.IsNullOrEmpty(runId)
            ? $"workflow execution not found: workflow id {workflowId}"
            : $"workflow execution not found: workflow id {workflowId}, run id {runId}");

    public static RpcException AlreadyCompleted() => NotFound("workflow execution already completed");

    public static RpcException AlreadyStarted(string message, string startRequestId, string runId) =>
        WithDetails(StatusCode.AlreadyExists, message, new WorkflowExecutionAlreadyStartedFailure { StartRequestId = startRequestId, RunId = runId });

    public static RpcException QueryFailed(string message, Failure? failure) =>
        WithDetails(StatusCode.InvalidArgument, message, new QueryFailedFailure { Failure = failure });

    private static RpcException WithDetails(StatusCode code, string message, IMessage detail)
    {
        var status = new GrpcStatus { Code = (int)code, Message = message };

        // Packed by hand: Any.Pack reads the message descriptor, which loads the API's descriptors (slow start-up).
        status.Details.Add(new Any { TypeUrl = $"type.googleapis.com/temporal.api.errordetails.v1.{detail.GetType().Name}", Value = detail.ToByteString() });
        var trailers = new Metadata { { "grpc-status-details-bin", status.ToByteArray() } };
        return new RpcException(new Status(code, message), trailers);
    }
}
