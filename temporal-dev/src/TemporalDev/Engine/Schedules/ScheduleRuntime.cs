using TemporalDev.Schedules.Runtime;

namespace TemporalDev.Engine.Schedules;

/// <summary>A live schedule in the engine: its machine (whose state is the durable part), the create request id, its wake-up timer.</summary>
public sealed class ScheduleRuntime(ScheduleMachine machine, string requestId)
{
    public ScheduleMachine Machine { get; } = machine;

    /// <summary>Gets the CreateSchedule request id, so a retried create succeeds.</summary>
    public string RequestId { get; } = requestId;

    public ClockTimer? Timer { get; set; }
}
