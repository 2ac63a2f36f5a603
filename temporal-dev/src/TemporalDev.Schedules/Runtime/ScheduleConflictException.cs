namespace TemporalDev.Schedules.Runtime;

/// <summary>An update carried a conflict token other than the schedule's current one (the real server: FailedPrecondition).</summary>
public sealed class ScheduleConflictException : Exception
{
    public ScheduleConflictException()
        : base("mismatched conflict token")
    {
    }

    public ScheduleConflictException(string message)
        : base(message)
    {
    }

    public ScheduleConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
