using global::Grpc.Core;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.ErrorDetails.V1;

namespace TemporalDev.Grpc;

/// <summary>The error shapes of workflow updates and update-with-start, as the real server sends them.</summary>
public static class UpdateErrors
{
    private const string StatusDetailsKey = "grpc-status-details-bin";

    /// <summary>Gets the real server's error for an update admitted but not accepted when its workflow closed.</summary>
    public static RpcException AbortedByClosingWorkflow() => RpcErrors.NotFound("workflow update was aborted by closing workflow");

    public static RpcException UpdateNotFound(string updateId) => RpcErrors.NotFound($"update \"{updateId}\" not found");

    public static RpcException WorkflowNotReady(string message) =>
        WithDetails(StatusCode.FailedPrecondition, message, Pack("temporal.api.errordetails.v1.WorkflowNotReadyFailure", new WorkflowNotReadyFailure()));

    public static RpcException PermissionDenied(string message) =>
        WithDetails(StatusCode.PermissionDenied, message, Pack("temporal.api.errordetails.v1.PermissionDeniedFailure", new PermissionDeniedFailure()));

    /// <summary>The status of an operation that did not run because its sibling failed.</summary>
    public static GrpcStatus Aborted() => new()
    {
        Code = (int)StatusCode.Aborted,
        Message = "Operation was aborted.",
        Details = { Pack("temporal.api.failure.v1.MultiOperationExecutionAborted", new Temporalio.Api.Failure.V1.MultiOperationExecutionAborted()) },
    };

    /// <summary>The status of an operation that succeeded.</summary>
    public static GrpcStatus Ok() => new() { Code = (int)StatusCode.OK };

    /// <summary>The status an operation failed with, details included.</summary>
    public static GrpcStatus StatusOf(RpcException error)
    {
        var status = new GrpcStatus { Code = (int)error.StatusCode, Message = error.Status.Detail };
        if (error.Trailers.GetValueBytes(StatusDetailsKey) is { } bytes) status.Details.AddRange(GrpcStatus.Parser.ParseFrom(bytes).Details);
        return status;
    }

    /// <summary>
    /// The MultiOperationExecution error: the code is the first failed, not aborted, operation's code, and the details
    /// hold every operation's status, which the SDK unpacks into the typed exception.
    /// </summary>
    public static RpcException MultiOperation(string message, params GrpcStatus[] statuses)
    {
        var failure = new MultiOperationExecutionFailure();
        foreach (var s in statuses)
        {
            failure.Statuses.Add(new MultiOperationExecutionFailure.Types.OperationStatus { Code = s.Code, Message = s.Message, Details = { s.Details } });
        }

        var first = statuses.FirstOrDefault(s => s.Code != (int)StatusCode.OK && s.Code != (int)StatusCode.Aborted);
        var code = first is null ? StatusCode.Aborted : (StatusCode)first.Code;
        return WithDetails(code, message, Pack("temporal.api.errordetails.v1.MultiOperationExecutionFailure", failure));
    }

    // Packed by hand, like RpcErrors: Any.Pack reads the message descriptor, which is slow to load.
    private static Any Pack(string fullName, IMessage detail) => new() { TypeUrl = $"type.googleapis.com/{fullName}", Value = detail.ToByteString() };

    private static RpcException WithDetails(StatusCode code, string message, Any detail)
    {
        var status = new GrpcStatus { Code = (int)code, Message = message, Details = { detail } };
        return new RpcException(new Status(code, message), new Metadata { { StatusDetailsKey, status.ToByteArray() } });
    }
}
