using Temporalio.Api.TestService.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Engine;
using TemporalDev.Grpc;

namespace TemporalDev.Api;

/// <summary>Which engine method serves which RPC; everything not listed answers UNIMPLEMENTED naming the method.</summary>
public static class Routes
{
    private const string Workflow = "WorkflowService";
    private const string Test = "TestService";

    public static RpcRouter Build(WorkflowEngine engine)
    {
        var r = new RpcRouter();
        r.Add<GetSystemInfoRequest, GetSystemInfoResponse>(Workflow, "GetSystemInfo", _ => WorkflowEngine.DescribeSystem());
        r.Add<DescribeNamespaceRequest, DescribeNamespaceResponse>(Workflow, "DescribeNamespace", engine.DescribeNamespace);
        r.Add<ListNamespacesRequest, ListNamespacesResponse>(Workflow, "ListNamespaces", engine.ListNamespaces);
        r.Add<ShutdownWorkerRequest, ShutdownWorkerResponse>(Workflow, "ShutdownWorker", engine.ShutdownWorker);

        r.Add<StartWorkflowExecutionRequest, StartWorkflowExecutionResponse>(Workflow, "StartWorkflowExecution", engine.StartWorkflowExecution);
        r.Add<SignalWithStartWorkflowExecutionRequest, SignalWithStartWorkflowExecutionResponse>(Workflow, "SignalWithStartWorkflowExecution", engine.SignalWithStartWorkflowExecution);
        r.Add<SignalWorkflowExecutionRequest, SignalWorkflowExecutionResponse>(Workflow, "SignalWorkflowExecution", engine.SignalWorkflowExecution);
        r.Add<RequestCancelWorkflowExecutionRequest, RequestCancelWorkflowExecutionResponse>(Workflow, "RequestCancelWorkflowExecution", engine.RequestCancelWorkflowExecution);
        r.Add<TerminateWorkflowExecutionRequest, TerminateWorkflowExecutionResponse>(Workflow, "TerminateWorkflowExecution", engine.TerminateWorkflowExecution);
        r.Add<DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse>(Workflow, "DescribeWorkflowExecution", engine.DescribeWorkflowExecution);
        r.Add<GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse>(Workflow, "GetWorkflowExecutionHistory", engine.GetWorkflowExecutionHistory);
        r.Add<GetWorkflowExecutionHistoryReverseRequest, GetWorkflowExecutionHistoryReverseResponse>(Workflow, "GetWorkflowExecutionHistoryReverse", engine.GetWorkflowExecutionHistoryReverse);
        r.Add<QueryWorkflowRequest, QueryWorkflowResponse>(Workflow, "QueryWorkflow", engine.QueryWorkflow);

        r.Add<PollWorkflowTaskQueueRequest, PollWorkflowTaskQueueResponse>(Workflow, "PollWorkflowTaskQueue", engine.PollWorkflowTaskQueue);
        r.Add<RespondWorkflowTaskCompletedRequest, RespondWorkflowTaskCompletedResponse>(Workflow, "RespondWorkflowTaskCompleted", engine.RespondWorkflowTaskCompleted);
        r.Add<RespondWorkflowTaskFailedRequest, RespondWorkflowTaskFailedResponse>(Workflow, "RespondWorkflowTaskFailed", engine.RespondWorkflowTaskFailed);
        r.Add<RespondQueryTaskCompletedRequest, RespondQueryTaskCompletedResponse>(Workflow, "RespondQueryTaskCompleted", engine.RespondQueryTaskCompleted);

        r.Add<PollActivityTaskQueueRequest, PollActivityTaskQueueResponse>(Workflow, "PollActivityTaskQueue", engine.PollActivityTaskQueue);
        r.Add<RespondActivityTaskCompletedRequest, RespondActivityTaskCompletedResponse>(Workflow, "RespondActivityTaskCompleted", engine.RespondActivityTaskCompleted);
        r.Add<RespondActivityTaskCompletedByIdRequest, RespondActivityTaskCompletedByIdResponse>(Workflow, "RespondActivityTaskCompletedById", engine.RespondActivityTaskCompletedById);
        r.Add<RespondActivityTaskFailedRequest, RespondActivityTaskFailedResponse>(Workflow, "RespondActivityTaskFailed", engine.RespondActivityTaskFailed);
        r.Add<RespondActivityTaskFailedByIdRequest, RespondActivityTaskFailedByIdResponse>(Workflow, "RespondActivityTaskFailedById", engine.RespondActivityTaskFailedById);
        r.Add<RespondActivityTaskCanceledRequest, RespondActivityTaskCanceledResponse>(Workflow, "RespondActivityTaskCanceled", engine.RespondActivityTaskCanceled);
        r.Add<RespondActivityTaskCanceledByIdRequest, RespondActivityTaskCanceledByIdResponse>(Workflow, "RespondActivityTaskCanceledById", engine.RespondActivityTaskCanceledById);
        r.Add<RecordActivityTaskHeartbeatRequest, RecordActivityTaskHeartbeatResponse>(Workflow, "RecordActivityTaskHeartbeat", engine.RecordActivityTaskHeartbeat);
        r.Add<RecordActivityTaskHeartbeatByIdRequest, RecordActivityTaskHeartbeatByIdResponse>(Workflow, "RecordActivityTaskHeartbeatById", engine.RecordActivityTaskHeartbeatById);

        r.Add<UpdateWorkflowExecutionRequest, UpdateWorkflowExecutionResponse>(Workflow, "UpdateWorkflowExecution", engine.UpdateWorkflowExecution);
        r.Add<PollWorkflowExecutionUpdateRequest, PollWorkflowExecutionUpdateResponse>(Workflow, "PollWorkflowExecutionUpdate", engine.PollWorkflowExecutionUpdate);
        r.Add<ExecuteMultiOperationRequest, ExecuteMultiOperationResponse>(Workflow, "ExecuteMultiOperation", engine.ExecuteMultiOperation);

        r.Add<LockTimeSkippingRequest, LockTimeSkippingResponse>(Test, "LockTimeSkipping", engine.LockTimeSkipping);
        r.Add<UnlockTimeSkippingRequest, UnlockTimeSkippingResponse>(Test, "UnlockTimeSkipping", engine.UnlockTimeSkipping);
        r.Add<SleepRequest, SleepResponse>(Test, "UnlockTimeSkippingWithSleep", (req, _) => engine.UnlockTimeSkippingWithSleep(req));
        r.Add<SleepRequest, SleepResponse>(Test, "Sleep", (req, _) => engine.Sleep(req));
        r.Add<SleepUntilRequest, SleepResponse>(Test, "SleepUntil", (req, _) => engine.SleepUntil(req));
        r.Add<Google.Protobuf.WellKnownTypes.Empty, GetCurrentTimeResponse>(Test, "GetCurrentTime", _ => engine.GetCurrentTime());
        r.Add<CreateScheduleRequest, CreateScheduleResponse>(Workflow, "CreateSchedule", engine.CreateSchedule);
        r.Add<DescribeScheduleRequest, DescribeScheduleResponse>(Workflow, "DescribeSchedule", engine.DescribeSchedule);
        r.Add<UpdateScheduleRequest, UpdateScheduleResponse>(Workflow, "UpdateSchedule", engine.UpdateSchedule);
        r.Add<PatchScheduleRequest, PatchScheduleResponse>(Workflow, "PatchSchedule", engine.PatchSchedule);
        r.Add<DeleteScheduleRequest, DeleteScheduleResponse>(Workflow, "DeleteSchedule", engine.DeleteSchedule);
        r.Add<ListSchedulesRequest, ListSchedulesResponse>(Workflow, "ListSchedules", engine.ListSchedules);
        r.Add<ListScheduleMatchingTimesRequest, ListScheduleMatchingTimesResponse>(Workflow, "ListScheduleMatchingTimes", engine.ListScheduleMatchingTimes);

        // Visibility and search attributes.
        r.Add<ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse>(Workflow, "ListWorkflowExecutions", engine.ListWorkflowExecutions);
        r.Add<ScanWorkflowExecutionsRequest, ScanWorkflowExecutionsResponse>(Workflow, "ScanWorkflowExecutions", engine.ScanWorkflowExecutions);
        r.Add<CountWorkflowExecutionsRequest, CountWorkflowExecutionsResponse>(Workflow, "CountWorkflowExecutions", engine.CountWorkflowExecutions);
        r.Add<ListOpenWorkflowExecutionsRequest, ListOpenWorkflowExecutionsResponse>(Workflow, "ListOpenWorkflowExecutions", engine.ListOpenWorkflowExecutions);
        r.Add<ListClosedWorkflowExecutionsRequest, ListClosedWorkflowExecutionsResponse>(Workflow, "ListClosedWorkflowExecutions", engine.ListClosedWorkflowExecutions);
        r.Add<GetSearchAttributesRequest, GetSearchAttributesResponse>(Workflow, "GetSearchAttributes", engine.GetSearchAttributes);
        r.Add<Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest, Temporalio.Api.OperatorService.V1.AddSearchAttributesResponse>("OperatorService", "AddSearchAttributes", engine.AddSearchAttributes);
        r.Add<Temporalio.Api.OperatorService.V1.RemoveSearchAttributesRequest, Temporalio.Api.OperatorService.V1.RemoveSearchAttributesResponse>("OperatorService", "RemoveSearchAttributes", engine.RemoveSearchAttributes);
        r.Add<Temporalio.Api.OperatorService.V1.ListSearchAttributesRequest, Temporalio.Api.OperatorService.V1.ListSearchAttributesResponse>("OperatorService", "ListSearchAttributes", engine.ListSearchAttributes);
        return r;
    }
}
