using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Grpc;

namespace TemporalDev.Engine;

/// <summary>Queries through legacy query tasks: dispatched when no workflow task is outstanding, answered by the worker.</summary>
public sealed partial class WorkflowEngine
{
    public async Task<QueryWorkflowResponse> QueryWorkflow(QueryWorkflowRequest request, ServerCallContext context)
    {
        if (request.Query is null || string.IsNullOrEmpty(request.Query.QueryType)) throw RpcErrors.InvalidArgument("query.query_type: required");
        QueryTask query;
        lock (gate)
        {
            var run = Find(request.Namespace, request.Execution?.WorkflowId ?? string.Empty, request.Execution?.RunId);
            var rejected = request.QueryRejectCondition switch
            {
                QueryRejectCondition.NotOpen => !run.IsOpen,
                QueryRejectCondition.NotCompletedCleanly => !run.IsOpen && run.Status != WorkflowExecutionStatus.Completed,
                _ => false,
            };
            if (rejected)
            {
                return new QueryWorkflowResponse { QueryRejected = new QueryRejected { Status = run.Status } };
            }

            query = new QueryTask { Id = NewId(), Execution = run, Query = request.Query };
            queries[query.Id] = query;
            run.PendingQueries.Add(query);
            DispatchPendingQueries(run);
        }

        try
        {
            var answer = await query.Answer.Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            if (answer.CompletedType == QueryResultType.Answered) return new QueryWorkflowResponse { QueryResult = answer.QueryResult };
            throw RpcErrors.QueryFailed(answer.ErrorMessage, answer.Failure);
        }
        finally
        {
            lock (gate)
            {
                queries.Remove(query.Id);
                query.Execution.PendingQueries.Remove(query);
            }
        }
    }

    /// <summary>Hands waiting queries to the workflow task queue once no workflow task is outstanding.</summary>
    private void DispatchPendingQueries(Execution run)
    {
        if (run.IsOpen && run.WorkflowTask.State != WorkflowTaskPhase.None) return;
        foreach (var query in run.PendingQueries.Where(q => !q.Dispatched))
        {
            query.Dispatched = true;
            WorkflowQueue(run.Namespace, run.TaskQueue).Offer(new WorkflowTaskRef(run, 0, query));
        }
    }

    private PollWorkflowTaskQueueResponse? StartQueryTask(QueryTask query)
    {
        if (!queries.ContainsKey(query.Id)) return null;
        var run = query.Execution;
        var response = WorkflowTaskResponse(run, new TaskToken('q', run.Namespace, run.WorkflowId, run.RunId, 0, 0) with { RunId = query.Id });
        response.Query = query.Query;
        response.Attempt = 1;
        // The history sent holds written events only: a speculative or transient task started since (or discarded
        // before) must not be named, or the worker waits for events that will never come and the query times out.
        response.StartedEventId = LastWrittenStartedEventId(run);
        return response;
    }

    private static long LastWrittenStartedEventId(Execution run)
    {
        for (var i = run.Events.Count - 1; i >= 0; i--)
        {
            if (run.Events[i].EventType == EventType.WorkflowTaskStarted) return run.Events[i].EventId;
        }

        return 0;
    }

    public RespondQueryTaskCompletedResponse RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request)
    {
        var token = TaskToken.Decode(request.TaskToken);
        lock (gate)
        {
            if (token.Kind != 'q' || !queries.TryGetValue(token.RunId, out var query)) throw RpcErrors.NotFound("query task not found");
            query.Answer.TrySetResult(request);
            return new RespondQueryTaskCompletedResponse();
        }
    }
}
