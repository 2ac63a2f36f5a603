using TemporalDev.Query.Evaluation;
using TemporalDev.Query.SearchAttributes;
using TemporalDev.Schedules.Runtime;

namespace TemporalDev.Engine.Schedules;

/// <summary>
/// A schedule as a ListSchedules query sees it: the real server lists its scheduler workflows, so the schedule id is
/// the WorkflowId (and ScheduleId), the create time the StartTime, TemporalSchedulePaused its paused flag, and the
/// schedule's own search attributes the custom ones.
/// </summary>
public sealed class ScheduleVisibilityRecord(string scheduleId, ScheduleState state, SearchAttributeRegistry registry) : IVisibilityRecord
{
    public string ScheduleId { get; } = scheduleId;

    public ScheduleState State { get; } = state;

    public object? GetValue(string searchAttribute) => searchAttribute switch
    {
        "WorkflowId" or "RunId" => ScheduleId,
        "WorkflowType" => "temporal-sys-scheduler-workflow",
        "StartTime" or "ExecutionTime" => State.Info.CreateTime?.ToDateTimeOffset(),
        "ExecutionStatus" => "Running",
        "TemporalSchedulePaused" => State.Schedule.State?.Paused ?? false,
        "TemporalNamespaceDivision" => "TemporalScheduler",
        _ => Custom(searchAttribute),
    };

    private object? Custom(string name) =>
        State.SearchAttributes is { } attributes && attributes.IndexedFields.TryGetValue(name, out var payload) && registry.Find(name) is { } definition
            ? SearchAttributeValues.Decode(name, definition.Type, payload)
            : null;
}
