using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Calendar;

namespace TemporalDev.Schedules.Spec;

/// <summary>What one cron string means: a calendar or an interval, and the time zone it names.</summary>
public sealed record CronMeaning(StructuredCalendarSpec? Calendar, IntervalSpec? Interval, string TimeZoneName);

/// <summary>
/// Temporal's cron dialect: 5, 6 (with year) or 7 (with seconds first) fields, "@every 14h/3h",
/// "@hourly" and friends, a "CRON_TZ=" or "TZ=" prefix, and a "#" comment.
/// </summary>
public static class CronString
{
    public static CronMeaning Parse(string cron)
    {
        var c = cron.Trim();
        var tzName = string.Empty;
        if (c.StartsWith("TZ=", StringComparison.Ordinal) || c.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = c.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                throw new ScheduleSpecException("CronString has time zone but missing fields");
            }
            var prefix = c[..space];
            tzName = prefix[(prefix.IndexOf('=', StringComparison.Ordinal) + 1)..];
            c = c[(space + 1)..];
        }

        var comment = string.Empty;
        var hash = c.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            comment = c[(hash + 1)..].Trim();
            c = c[..hash];
        }
        c = c.Trim();

        if (c.StartsWith("@every", StringComparison.Ordinal))
        {
            // The real server drops a cron string's time zone for "@every": intervals are zone-free.
            return new CronMeaning(null, ParseEvery(c), string.Empty);
        }

        c = c switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ => c,
        };

        var fields = c.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var calendar = new CalendarSpec { Comment = comment };
        switch (fields.Length)
        {
            case 5:
                (calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek) =
                    (fields[0], fields[1], fields[2], fields[3], fields[4]);
                break;
            case 6:
                (calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek, calendar.Year) =
                    (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
                break;
            case 7:
                (calendar.Second, calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek, calendar.Year) =
                    (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
                break;
            default:
                throw new ScheduleSpecException("CronString does not have 5-7 fields");
        }
        return new CronMeaning(CalendarSpecParser.ToStructured(calendar), null, tzName);
    }

    private static IntervalSpec ParseEvery(string c)
    {
        var space = c.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            throw new ScheduleSpecException("CronString does not have interval after @every");
        }
        var text = c[(space + 1)..];
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var interval = GoDuration.Parse(slash < 0 ? text : text[..slash]);
        var spec = new IntervalSpec { Interval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(interval) };
        if (slash >= 0 && slash + 1 < text.Length)
        {
            spec.Phase = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(GoDuration.Parse(text[(slash + 1)..]));
        }
        return spec;
    }
}

/// <summary>Turns the legacy string form of a calendar into a structured calendar, filling in defaults.</summary>
public static class CalendarSpecParser
{
    public static StructuredCalendarSpec ToStructured(CalendarSpec calendar)
    {
        var errors = new List<string>();
        IEnumerable<Temporalio.Api.Schedule.V1.Range> Field(string text, CalendarField field)
        {
            var ranges = CalendarRangeParser.Parse(text, field, out var error);
            if (error != null)
            {
                errors.Add(error);
            }
            return ranges;
        }

        var structured = new StructuredCalendarSpec { Comment = calendar.Comment };
        structured.Second.AddRange(Field(calendar.Second, CalendarField.Second));
        structured.Minute.AddRange(Field(calendar.Minute, CalendarField.Minute));
        structured.Hour.AddRange(Field(calendar.Hour, CalendarField.Hour));
        structured.DayOfWeek.AddRange(Field(calendar.DayOfWeek, CalendarField.DayOfWeek));
        structured.DayOfMonth.AddRange(Field(calendar.DayOfMonth, CalendarField.DayOfMonth));
        structured.Month.AddRange(Field(calendar.Month, CalendarField.Month));
        structured.Year.AddRange(Field(calendar.Year, CalendarField.Year));
        if (errors.Count > 0)
        {
            throw new ScheduleSpecException(string.Join(", ", errors));
        }
        return structured;
    }
}
