using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace TemporalDev.Engine;

/// <summary>DescribeWorkflowExecution: status, times, configuration, memo, search attributes and pending work.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>
    /// A run's execution info, as Describe and the visibility List/Scan calls answer it. Memo and search attributes are
    /// copies: the response is serialised after the engine lock is released.
    /// </summary>
    private static WorkflowExecutionInfo ExecutionInfo(Execution run)
    {
        var info = new WorkflowExecutionInfo
        {
            Execution = run.Ref,
            Type = run.Start.WorkflowType,
            StartTime = Proto.Ts(run.StartTime),
            ExecutionTime = Proto.Ts(run.ExecutionTime),
            Status = run.Status,
            HistoryLength = run.Events.Count,
            HistorySizeBytes = run.HistorySizeBytes,
            StateTransitionCount = run.Events.Count,
            Memo = run.Memo.Clone(),
            SearchAttributes = run.SearchAttributes.Clone(),
            TaskQueue = run.TaskQueue,
            RootExecution = run.Start.RootWorkflowExecution ?? run.Ref,
            FirstRunId = run.Start.FirstExecutionRunId,
        };
        if (run.CloseTime is { } closed)
        {
            info.CloseTime = Proto.Ts(closed);
            info.ExecutionDuration = Duration.FromTimeSpan(closed - run.ExecutionTime);
        }

        if (run.Parent is { } parent)
        {
            info.ParentNamespaceId = NamespaceId(parent.Namespace);
            info.ParentExecution = parent.Ref;
        }

        return info;
    }

    public DescribeWorkflowExecutionResponse DescribeWorkflowExecution(DescribeWorkflowExecutionRequest request)
    {
        lock (gate)
        {
            var run = Find(request.Namespace, request.Execution?.WorkflowId ?? string.Empty, request.Execution?.RunId);
            var info = ExecutionInfo(run);
            var response = new DescribeWorkflowExecutionResponse
            {
                ExecutionConfig = new WorkflowExecutionConfig
                {
                    TaskQueue = run.Start.TaskQueue,
                    WorkflowExecutionTimeout = run.Start.WorkflowExecutionTimeout,
                    WorkflowRunTimeout = run.Start.WorkflowRunTimeout,
                    DefaultWorkflowTaskTimeout = run.Start.WorkflowTaskTimeout,
                },
                WorkflowExecutionInfo = info,
            };
            foreach (var activity in run.Activities.Values)
            {
                var pending = new PendingActivityInfo
                {
                    ActivityId = activity.Attributes.ActivityId,
                    ActivityType = activity.Attributes.ActivityType,
                    State = activity.CancelRequested ? PendingActivityState.CancelRequested
                        : activity.Started ? PendingActivityState.Started : PendingActivityState.Scheduled,
                    HeartbeatDetails = activity.HeartbeatDetails,
                    Attempt = activity.Attempt,
                    MaximumAttempts = activity.Attributes.RetryPolicy?.MaximumAttempts ?? 0,
                    ScheduledTime = Proto.Ts(activity.AttemptScheduledTime),
                    LastFailure = activity.LastFailure,
                    LastWorkerIdentity = activity.LastWorkerIdentity,
                };
                if (activity.LastHeartbeatTime is { } beat) pending.LastHeartbeatTime = Proto.Ts(beat);
                if (activity.Started) pending.LastStartedTime = Proto.Ts(activity.StartedTime);
                response.PendingActivities.Add(pending);
            }

            foreach (var child in run.Children.Values)
            {
                response.PendingChildren.Add(new PendingChildExecutionInfo
                {
                    WorkflowId = child.Attributes.WorkflowId,
                    RunId = child.RunId,
                    WorkflowTypeName = child.Attributes.WorkflowType.Name,
                    InitiatedId = child.InitiatedEventId,
                    ParentClosePolicy = child.Attributes.ParentClosePolicy,
                });
            }

            var task = run.WorkflowTask;
            if (run.IsOpen && task.State != WorkflowTaskPhase.None)
            {
                response.PendingWorkflowTask = new PendingWorkflowTaskInfo
                {
                    State = task.State == WorkflowTaskPhase.Started ? PendingWorkflowTaskState.Started : PendingWorkflowTaskState.Scheduled,
                    ScheduledTime = Proto.Ts(task.ScheduledTime),
                    OriginalScheduledTime = Proto.Ts(task.ScheduledTime),
                    Attempt = task.Attempt,
                };
                if (task.State == WorkflowTaskPhase.Started) response.PendingWorkflowTask.StartedTime = Proto.Ts(task.StartedTime);
            }

            return response;
        }
    }
}
