using System.Globalization;

namespace TemporalDev.Schedules.Spec;

/// <summary>The workflow id of a schedule's action: "&lt;workflow id&gt;-&lt;nominal time, RFC 3339 to the second, UTC&gt;".</summary>
public static class ScheduledWorkflowId
{
    public static string For(string workflowId, DateTimeOffset nominal)
    {
        var utc = nominal.UtcDateTime;
        var truncated = new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        return workflowId + "-" + truncated.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
