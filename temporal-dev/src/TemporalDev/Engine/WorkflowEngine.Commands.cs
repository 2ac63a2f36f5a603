using Google.Protobuf.Collections;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace TemporalDev.Engine;

/// <summary>Command validation and dispatch to the feature that writes its events.</summary>
public sealed partial class WorkflowEngine
{
    private static bool IsTerminalCommand(CommandType type) => type is CommandType.CompleteWorkflowExecution
        or CommandType.FailWorkflowExecution
        or CommandType.CancelWorkflowExecution
        or CommandType.ContinueAsNewWorkflowExecution;

    /// <summary>Checks the commands as the real server does before writing anything; returns the failure cause if one is bad.</summary>
    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateCommands(Execution run, RepeatedField<Command> commands)
    {
        var timers = new HashSet<string>(run.Timers.Keys, StringComparer.Ordinal);
        var activities = new HashSet<string>(run.Activities.Values.Select(a => a.Attributes.ActivityId), StringComparer.Ordinal);
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            switch (command.CommandType)
            {
                case CommandType.ScheduleActivityTask:
                    var a = command.ScheduleActivityTaskCommandAttributes;
                    if (a is null || string.IsNullOrEmpty(a.ActivityId) || a.ActivityType is null || string.IsNullOrEmpty(a.ActivityType.Name))
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, "ScheduleActivityTask: activity_id and activity_type are required");
                    }

                    if (!activities.Add(a.ActivityId))
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, $"ScheduleActivityTask: activity ID {a.ActivityId} is already in use");
                    }

                    if (Proto.Span(a.ScheduleToCloseTimeout) <= TimeSpan.Zero && Proto.Span(a.StartToCloseTimeout) <= TimeSpan.Zero)
                    {
                        return (WorkflowTaskFailedCause.BadScheduleActivityAttributes, "ScheduleActivityTask: a ScheduleToClose or StartToClose timeout is required");
                    }

                    break;
                case CommandType.StartTimer:
                    var t = command.StartTimerCommandAttributes;
                    if (t is null || string.IsNullOrEmpty(t.TimerId) || Proto.Span(t.StartToFireTimeout) <= TimeSpan.Zero)
                    {
                        return (WorkflowTaskFailedCause.BadStartTimerAttributes, "StartTimer: timer_id and a positive start_to_fire_timeout are required");
                    }

                    if (!timers.Add(t.TimerId)) return (WorkflowTaskFailedCause.BadStartTimerAttributes, $"StartTimer: timer ID {t.TimerId} is already in use");
                    break;
                case CommandType.CancelTimer:
                    if (!timers.Remove(command.CancelTimerCommandAttributes?.TimerId ?? string.Empty))
                    {
                        return (WorkflowTaskFailedCause.BadCancelTimerAttributes, $"CancelTimer: no pending timer {command.CancelTimerCommandAttributes?.TimerId}");
                    }

                    break;
                case CommandType.Unspecified:
                    return (WorkflowTaskFailedCause.BadBinary, "command_type: unspecified");
                case var terminal when IsTerminalCommand(terminal) && i != commands.Count - 1:
                    // Commands after a close are dropped by the real server only if they are ProtocolMessage; others fail the task.
                    if (commands.Skip(i + 1).Any(c => c.CommandType != CommandType.ProtocolMessage))
                    {
                        return (WorkflowTaskFailedCause.BadCompleteWorkflowExecutionAttributes, "a workflow close command must be the last command");
                    }

                    break;
                default:
                    break;
            }
        }

        return null;
    }

    private void ApplyCommand(Execution run, Command command, CommandBatch batch)
    {
        switch (command.CommandType)
        {
            case CommandType.ScheduleActivityTask:
                ScheduleActivity(run, command.ScheduleActivityTaskCommandAttributes, batch);
                break;
            case CommandType.RequestCancelActivityTask:
                RequestCancelActivity(run, command.RequestCancelActivityTaskCommandAttributes, batch);
                break;
            case CommandType.StartTimer:
                StartTimer(run, command.StartTimerCommandAttributes, batch);
                break;
            case CommandType.CancelTimer:
                CancelTimer(run, command.CancelTimerCommandAttributes, batch);
                break;
            case CommandType.CompleteWorkflowExecution:
                CompleteWorkflow(run, command.CompleteWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.FailWorkflowExecution:
                FailWorkflow(run, command.FailWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.CancelWorkflowExecution:
                CancelWorkflow(run, command.CancelWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.ContinueAsNewWorkflowExecution:
                ContinueAsNew(run, command.ContinueAsNewWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.StartChildWorkflowExecution:
                StartChild(run, command.StartChildWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.SignalExternalWorkflowExecution:
                SignalExternal(run, command.SignalExternalWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.RequestCancelExternalWorkflowExecution:
                CancelExternal(run, command.RequestCancelExternalWorkflowExecutionCommandAttributes, batch);
                break;
            case CommandType.RecordMarker:
                var marker = command.RecordMarkerCommandAttributes;
                run.Append(EventType.MarkerRecorded, Now, e => e.MarkerRecordedEventAttributes = new MarkerRecordedEventAttributes
                {
                    MarkerName = marker.MarkerName,
                    Details = { marker.Details },
                    WorkflowTaskCompletedEventId = batch.CompletedEventId,
                    Header = marker.Header,
                    Failure = marker.Failure,
                });
                break;
            case CommandType.UpsertWorkflowSearchAttributes:
                UpsertSearchAttributes(run, command.UpsertWorkflowSearchAttributesCommandAttributes, batch);
                break;
            case CommandType.ModifyWorkflowProperties:
                var modify = command.ModifyWorkflowPropertiesCommandAttributes;
                foreach (var (key, value) in modify.UpsertedMemo?.Fields ?? [])
                {
                    if (value.Data.IsEmpty) run.Memo.Fields.Remove(key);
                    else run.Memo.Fields[key] = value;
                }

                run.Append(EventType.WorkflowPropertiesModified, Now, e => e.WorkflowPropertiesModifiedEventAttributes = new WorkflowPropertiesModifiedEventAttributes
                {
                    WorkflowTaskCompletedEventId = batch.CompletedEventId,
                    UpsertedMemo = modify.UpsertedMemo,
                });
                break;
            default:
                // Protocol messages (updates) and Nexus operations come with the next temporal-dev issue.
                break;
        }
    }
}
