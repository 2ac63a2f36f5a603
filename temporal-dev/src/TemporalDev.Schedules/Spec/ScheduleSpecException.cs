namespace TemporalDev.Schedules.Spec;

/// <summary>A schedule spec the real server would reject with InvalidArgument.</summary>
public sealed class ScheduleSpecException : Exception
{
    public ScheduleSpecException(string detail)
        : base("Invalid schedule spec: " + detail) => Detail = detail;

    public ScheduleSpecException()
        : this("unknown error")
    {
    }

    public ScheduleSpecException(string message, Exception innerException)
        : base(message, innerException) => Detail = message;

    /// <summary>Gets the problem without the "Invalid schedule spec: " prefix.</summary>
    public string Detail { get; }
}
