using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;
using Range = Temporalio.Api.Schedule.V1.Range;

namespace TemporalDev.UnitTests.Schedules;

/// <summary>Short ways to write schedule specs in test tables.</summary>
internal static class SpecBuilder
{
    public static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int m = 0, int s = 0, int ms = 0) =>
        new(y, mo, d, h, m, s, ms, TimeSpan.Zero);

    public static ScheduleSpec Cron(params string[] cron)
    {
        var spec = new ScheduleSpec();
        spec.CronString.AddRange(cron);
        return spec;
    }

    public static ScheduleSpec Every(TimeSpan interval, TimeSpan? phase = null)
    {
        var spec = new ScheduleSpec();
        spec.Interval.Add(new IntervalSpec
        {
            Interval = Duration.FromTimeSpan(interval),
            Phase = phase is { } p ? Duration.FromTimeSpan(p) : null,
        });
        return spec;
    }

    public static ScheduleSpec Calendar(CalendarSpec calendar)
    {
        var spec = new ScheduleSpec();
        spec.Calendar.Add(calendar);
        return spec;
    }

    public static ScheduleSpec Structured(StructuredCalendarSpec calendar)
    {
        var spec = new ScheduleSpec();
        spec.StructuredCalendar.Add(calendar);
        return spec;
    }

    public static Range R(int start, int end = 0, int step = 0) => new() { Start = start, End = end, Step = step };
}
