using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Calendar;

namespace TemporalDev.Schedules.Spec;

/// <summary>
/// The canonical form the real server stores and describes: calendar strings and cron strings
/// become structured calendars (or intervals for "@every"), a cron time zone moves to timezone_name,
/// and every calendar and interval is validated.
/// </summary>
public static class ScheduleSpecCanonicalForm
{
    /// <summary>Canonicalises a spec (the input is not changed), or throws <see cref="ScheduleSpecException"/>.</summary>
    public static ScheduleSpec Canonicalize(ScheduleSpec spec)
    {
        var canonical = spec.Clone();
        ValidateDurations(canonical);

        foreach (var calendar in canonical.Calendar)
        {
            canonical.StructuredCalendar.Add(CalendarSpecParser.ToStructured(calendar));
        }
        canonical.Calendar.Clear();
        // The deprecated string form of excludes is still honoured by the real server.
#pragma warning disable CS0612
        foreach (var calendar in canonical.ExcludeCalendar)
        {
            canonical.ExcludeStructuredCalendar.Add(CalendarSpecParser.ToStructured(calendar));
        }
        canonical.ExcludeCalendar.Clear();
#pragma warning restore CS0612

        string? cronTimeZone = null;
        foreach (var cron in canonical.CronString)
        {
            var meaning = CronString.Parse(cron);
            // All cron strings must agree on their time zone, including on having none.
            if (cronTimeZone != null && cronTimeZone != meaning.TimeZoneName)
            {
                throw new ScheduleSpecException("conflicting timezone names");
            }
            cronTimeZone = meaning.TimeZoneName;
            if (meaning.Calendar != null)
            {
                canonical.StructuredCalendar.Add(meaning.Calendar);
            }
            if (meaning.Interval != null)
            {
                canonical.Interval.Add(meaning.Interval);
            }
        }
        canonical.CronString.Clear();

        if (!string.IsNullOrEmpty(cronTimeZone))
        {
            if ((canonical.TimezoneName.Length > 0 && canonical.TimezoneName != cronTimeZone) || !canonical.TimezoneData.IsEmpty)
            {
                throw new ScheduleSpecException("conflicting timezone names");
            }
            canonical.TimezoneName = cronTimeZone;
        }

        foreach (var calendar in canonical.StructuredCalendar)
        {
            ValidateCalendar(calendar);
        }
        foreach (var interval in canonical.Interval)
        {
            ValidateInterval(interval);
        }
        return canonical;
    }

    /// <summary>
    /// What DescribeSchedule and ListSchedules return for a stored canonical spec: ranges with their
    /// defaults filled in (end = start for a single value, step 1).
    /// </summary>
    public static ScheduleSpec Describe(ScheduleSpec canonical)
    {
        var described = canonical.Clone();
        foreach (var calendar in described.StructuredCalendar.Concat(described.ExcludeStructuredCalendar))
        {
            foreach (var ranges in Fields(calendar))
            {
                foreach (var r in ranges)
                {
                    if (r.End < r.Start)
                    {
                        r.End = r.Start;
                    }
                    if (r.Step == 0)
                    {
                        r.Step = 1;
                    }
                }
            }
        }
        return described;
    }

    private static IEnumerable<Google.Protobuf.Collections.RepeatedField<Temporalio.Api.Schedule.V1.Range>> Fields(StructuredCalendarSpec c) =>
        [c.Second, c.Minute, c.Hour, c.DayOfMonth, c.Month, c.Year, c.DayOfWeek];

    private static void ValidateDurations(ScheduleSpec spec)
    {
        foreach (var interval in spec.Interval)
        {
            if (interval.Interval != null && !IsValid(interval.Interval))
            {
                throw new ScheduleSpecException("interval is not a valid duration");
            }
            if (interval.Phase != null && !IsValid(interval.Phase))
            {
                throw new ScheduleSpecException("phase is not a valid duration");
            }
        }
    }

    // A protobuf Duration is valid when seconds and nanos agree in sign and nanos stay below a second.
    private static bool IsValid(Google.Protobuf.WellKnownTypes.Duration d) =>
        Math.Abs(d.Nanos) < 1_000_000_000 && !(d.Seconds > 0 && d.Nanos < 0) && !(d.Seconds < 0 && d.Nanos > 0)
        && Math.Abs(d.Seconds) <= 315_576_000_000;

    private static void ValidateCalendar(StructuredCalendarSpec calendar)
    {
        var errors = new List<string>();
        void Check(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges, string field, int min, int max)
        {
            foreach (var r in ranges)
            {
                if (r.Start < min || r.Start > max)
                {
                    errors.Add($"{field} Start is not in range [{min}-{max}]");
                }
                if (r.End != 0 && (r.End < r.Start || r.End > max))
                {
                    errors.Add($"{field} End is before Start or not in range [{min}-{max}]");
                }
                if (r.Step < 0)
                {
                    errors.Add($"{field} has invalid Step");
                }
            }
        }

        Check(calendar.Second, "Second", 0, 59);
        Check(calendar.Minute, "Minute", 0, 59);
        Check(calendar.Hour, "Hour", 0, 23);
        Check(calendar.DayOfMonth, "DayOfMonth", 1, 31);
        Check(calendar.Month, "Month", 1, 12);
        Check(calendar.Year, "Year", CalendarLimits.MinYear, CalendarLimits.MaxYear);
        Check(calendar.DayOfWeek, "DayOfWeek", 0, 6);
        if (calendar.Comment.Length > CalendarLimits.MaxCommentLength)
        {
            errors.Add("comment is too long");
        }
        if (errors.Count > 0)
        {
            throw new ScheduleSpecException("invalid calendar spec: " + string.Join(", ", errors));
        }
    }

    private static void ValidateInterval(IntervalSpec interval)
    {
        var every = interval.Interval?.ToTimeSpan() ?? TimeSpan.Zero;
        var phase = interval.Phase?.ToTimeSpan() ?? TimeSpan.Zero;
        if (every < TimeSpan.FromSeconds(1))
        {
            throw new ScheduleSpecException("interval is too small");
        }
        if (phase < TimeSpan.Zero)
        {
            throw new ScheduleSpecException("phase is negative");
        }
        if (phase >= every)
        {
            throw new ScheduleSpecException("phase cannot be greater than Interval");
        }
    }
}
