using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using TemporalDev.Schedules.Runtime;

namespace TemporalDev.Engine;

/// <summary>The engine as a schedule's host: the virtual clock, and starting, cancelling, terminating and watching actions.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>Runs under the engine gate, called only by a <see cref="ScheduleMachine"/> the engine is driving.</summary>
    private sealed class ScheduleHost(WorkflowEngine engine, string ns, string scheduleId) : IScheduleHost
    {
        public DateTimeOffset Now => new(DateTime.SpecifyKind(engine.Now, DateTimeKind.Utc));

        public StartOutcome StartWorkflow(StartWorkflowExecutionRequest request)
        {
            try
            {
                var (run, _) = engine.StartOrReuse(
                    ns,
                    request.WorkflowId,
                    request.RequestId,
                    request.WorkflowIdReusePolicy,
                    WorkflowIdConflictPolicy.Fail,
                    request.Identity,
                    () => StartedAttributes(request));
                engine.scheduledActions[(ns, request.WorkflowId)] = scheduleId;
                return new StartOutcome(run.RunId, null);
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"temporal-dev: schedule {scheduleId}: starting {request.WorkflowId} failed: {e.Status.Detail}");
                return new StartOutcome(null, e.Status.Detail);
            }
        }

        public void CancelWorkflow(WorkflowExecution execution, string reason, string identity)
        {
            if (Newest(execution) is { IsOpen: true } run) engine.RequestCancel(run, reason, identity, null, null);
        }

        public void TerminateWorkflow(WorkflowExecution execution, string reason, string identity)
        {
            if (Newest(execution) is { IsOpen: true } run) engine.Terminate(run, reason, null, identity);
        }

        public ActionStatus Watch(WorkflowExecution execution)
        {
            if (Newest(execution) is not { } run) return new ActionStatus(WorkflowExecutionStatus.Unspecified);
            if (run.IsOpen) return new ActionStatus(WorkflowExecutionStatus.Running);
            var close = run.CloseEvent;
            return new ActionStatus(
                run.Status,
                close?.WorkflowExecutionCompletedEventAttributes?.Result,
                close?.WorkflowExecutionFailedEventAttributes?.Failure);
        }

        /// <summary>The newest run of the chain the action started (its run id is the chain's first run id).</summary>
        private Execution? Newest(WorkflowExecution execution)
        {
            if (!engine.chains.TryGetValue((ns, execution.WorkflowId), out var chain)) return null;
            return chain.LastOrDefault(r => r.Start.FirstExecutionRunId == execution.RunId);
        }
    }
}
