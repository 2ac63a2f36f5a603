using Cronos;

namespace Lifecycle.Workflows.Workspaces;

/// <summary>A cron text that cannot be used as a schedule; the message names the field and the problem.</summary>
public sealed class ScheduleFormatException : FormatException
{
    public ScheduleFormatException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>The input field that held the bad text (e.g. <c>autostart_schedule</c>).</summary>
    public string Field { get; }

    public string Problem { get; }
}

/// <summary>
/// A five-field cron schedule in an IANA time zone (<c>CRON_TZ=&lt;zone&gt; m h * * dow</c>, UTC when the prefix
/// is absent). Occurrences are wall-clock times in that zone: a time skipped by a daylight-saving jump does not
/// happen that day and a repeated time happens once, at its first occurrence (as Coder's robfig/cron does).
/// </summary>
public sealed class CronSchedule
{
    private const string ZonePrefix = "CRON_TZ=";

    private readonly CronExpression expression;

    private CronSchedule(TimeZoneInfo zone, string fields, CronExpression expression)
    {
        Zone = zone;
        Fields = fields;
        this.expression = expression;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>The five cron fields, single-spaced, without the zone prefix.</summary>
    public string Fields { get; }

    /// <summary>The canonical text, always with the zone: <c>CRON_TZ=Europe/Berlin 0 9 * * 1-5</c>.</summary>
    public string Text => $"{ZonePrefix}{Zone.Id} {Fields}";

    public override string ToString() => Text;

    /// <summary>Parses a weekly schedule (day-of-month and month must be <c>*</c>), as workspace autostart uses.</summary>
    public static CronSchedule ParseWeekly(string text, string field = "autostart_schedule") =>
        Parse(text, field, dailyOnly: false);

    /// <summary>Parses a daily schedule (day-of-month, month and day-of-week must be <c>*</c>), as quiet hours use.</summary>
    public static CronSchedule ParseDaily(string text, string field = "quiet_hours_schedule") =>
        Parse(text, field, dailyOnly: true);

    /// <summary>Parses a weekly schedule, reporting the problem instead of throwing.</summary>
    public static bool TryParseWeekly(string text, out CronSchedule? schedule, out string? error)
    {
        try
        {
            schedule = ParseWeekly(text);
            error = null;
            return true;
        }
        catch (ScheduleFormatException e)
        {
            schedule = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, in UTC; null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        // Cron fields describe wall-clock times, so occurrences are walked in wall-clock time (Cronos in UTC does
        // exactly that) and each is placed in the zone. Taking only the first occurrence of a repeated time makes
        // the instant grow with the wall time, so no occurrence before after's own wall time can lie after it;
        // candidates in the second pass of a repeated hour are skipped (at most an hour of them).
        var wall = DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(after, Zone).DateTime, DateTimeKind.Utc);

        // The bound only guards against a zone whose rules never let a candidate exist.
        for (var i = 0; i < 10_000; i++)
        {
            var candidate = expression.GetNextOccurrence(wall, inclusive: false);
            if (candidate is null)
                return null;
            wall = candidate.Value;

            var local = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
            if (Zone.IsInvalidTime(local))
                continue;
            var offset = Zone.IsAmbiguousTime(local) ? Zone.GetAmbiguousTimeOffsets(local).Max() : Zone.GetUtcOffset(local);
            var instant = new DateTimeOffset(local, offset);
            if (instant > after)
                return instant.ToUniversalTime();
        }

        return null;
    }

    /// <summary>The weekday of an instant in this schedule's zone.</summary>
    public DayOfWeek LocalDayOfWeek(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone).DayOfWeek;

    private static CronSchedule Parse(string text, string field, bool dailyOnly)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ScheduleFormatException(field, "is empty; expected \"CRON_TZ=<IANA zone> <minute> <hour> * * <day-of-week>\"");

        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var zone = TimeZoneInfo.Utc;
        if (parts[0].StartsWith(ZonePrefix, StringComparison.Ordinal))
        {
            zone = FindZone(parts[0][ZonePrefix.Length..], field);
            parts = parts[1..];
        }
        else if (parts[0].Contains('=', StringComparison.Ordinal))
        {
            throw new ScheduleFormatException(field, $"unknown prefix \"{parts[0]}\"; only CRON_TZ=<IANA zone> is supported");
        }

        if (parts.Length == 6)
            throw new ScheduleFormatException(field, $"\"{text}\" has 6 fields: a seconds field is not supported; expected 5 fields (minute hour day-of-month month day-of-week)");
        if (parts.Length != 5)
            throw new ScheduleFormatException(field, $"\"{text}\" has {parts.Length} fields; expected 5 fields (minute hour day-of-month month day-of-week) after an optional CRON_TZ=<IANA zone> prefix");
        if (parts[2] != "*" || parts[3] != "*")
            throw new ScheduleFormatException(field, $"\"{text}\": day-of-month and month must be *");
        if (dailyOnly && parts[4] != "*")
            throw new ScheduleFormatException(field, $"\"{text}\": day-of-week must be * for a daily schedule");

        var fields = string.Join(' ', parts);
        try
        {
            return new CronSchedule(zone, fields, CronExpression.Parse(fields, CronFormat.Standard));
        }
        catch (CronFormatException e)
        {
            throw new ScheduleFormatException(field, $"invalid cron expression \"{fields}\": {e.Message}");
        }
    }

    private static TimeZoneInfo FindZone(string id, string field)
    {
        if (id.Length == 0)
            throw new ScheduleFormatException(field, "CRON_TZ= names no time zone");
        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);

            // Windows zone names also resolve on Linux; schedules must stay portable, so only IANA names pass.
            if (!zone.HasIanaId || string.Equals(id, "Local", StringComparison.OrdinalIgnoreCase))
                throw new ScheduleFormatException(field, $"time zone \"{id}\" is not an IANA time zone name");
            return zone;
        }
        catch (TimeZoneNotFoundException)
        {
            throw new ScheduleFormatException(field, $"unknown time zone \"{id}\" in CRON_TZ");
        }
        catch (InvalidTimeZoneException)
        {
            throw new ScheduleFormatException(field, $"time zone \"{id}\" in CRON_TZ has invalid data on this machine");
        }
    }
}
