using Cronos;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>A preset's prebuild schedules that cannot be used; the message names the field and the problem.</summary>
public sealed class PrebuildScheduleException : FormatException
{
    public PrebuildScheduleException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>The input field at fault, e.g. <c>prebuild_schedules[1].cron_expression</c>.</summary>
    public string Field { get; }

    public string Problem { get; }
}

/// <summary>
/// A preset's validated prebuild schedules (B14, B15): each cron is a weekly time range of whole hours in the preset's
/// IANA zone, read on the local wall clock, so a range follows daylight-saving changes; no two ranges overlap.
/// </summary>
public sealed class PrebuildScheduleTable
{
    private const int HoursPerWeek = 7 * 24;

    // A Sunday at midnight: the reference week in which each range's hours are enumerated.
    private static readonly DateTime ReferenceSunday = new(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly IReadOnlyList<(PrebuildSchedule Schedule, bool[] Hours)> ranges;

    private PrebuildScheduleTable(TimeZoneInfo zone, IReadOnlyList<(PrebuildSchedule, bool[])> ranges)
    {
        Zone = zone;
        this.ranges = ranges;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>Validates the schedules of one preset; throws <see cref="PrebuildScheduleException"/> naming the field at fault.</summary>
    public static PrebuildScheduleTable Parse(string? timeZone, IReadOnlyList<PrebuildSchedule> schedules)
    {
        var zone = FindZone(timeZone);
        var parsed = new List<(PrebuildSchedule, bool[])>(schedules.Count);
        for (var i = 0; i < schedules.Count; i++)
        {
            var schedule = schedules[i];
            if (schedule.DesiredInstances < 0)
                throw new PrebuildScheduleException($"prebuild_schedules[{i}].desired_instances", $"must not be negative, got {schedule.DesiredInstances}");
            var hours = WeeklyHours(schedule.CronExpression, $"prebuild_schedules[{i}].cron_expression");
            for (var j = 0; j < parsed.Count; j++)
            {
                var (other, otherHours) = parsed[j];
                var shared = Enumerable.Range(0, HoursPerWeek).FirstOrDefault(h => hours[h] && otherHours[h], -1);
                if (shared >= 0)
                {
                    throw new PrebuildScheduleException(
                        $"prebuild_schedules[{i}].cron_expression",
                        $"\"{schedule.CronExpression}\" overlaps prebuild_schedules[{j}] \"{other.CronExpression}\" (both cover {(DayOfWeek)(shared / 24)} {shared % 24:00}:00)");
                }
            }

            parsed.Add((schedule, hours));
        }

        return new PrebuildScheduleTable(zone, parsed);
    }

    /// <summary>Validates without throwing; <paramref name="error"/> names the field and the problem.</summary>
    public static bool TryParse(string? timeZone, IReadOnlyList<PrebuildSchedule> schedules, out PrebuildScheduleTable? table, out string? error)
    {
        try
        {
            table = Parse(timeZone, schedules);
            error = null;
            return true;
        }
        catch (PrebuildScheduleException e)
        {
            table = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The preset's zone: a non-empty IANA name this machine knows (Windows names and "Local" are refused, so stored
    /// presets stay portable); throws <see cref="PrebuildScheduleException"/> on <c>scheduling_timezone</c> otherwise.
    /// </summary>
    public static TimeZoneInfo ParseTimeZone(string? timeZone) => FindZone(timeZone);

    /// <summary>The schedule whose range holds <paramref name="at"/> on the zone's wall clock, or null.</summary>
    public PrebuildSchedule? Matching(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone);
        var hour = ((int)local.DayOfWeek * 24) + local.Hour;
        return ranges.FirstOrDefault(r => r.Hours[hour]).Schedule;
    }

    private static TimeZoneInfo FindZone(string? id)
    {
        const string field = "scheduling_timezone";
        if (string.IsNullOrWhiteSpace(id))
            throw new PrebuildScheduleException(field, "is empty; prebuild schedules need an IANA time zone such as \"Europe/Berlin\"");
        id = id.Trim();
        try
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(id);

            // Windows zone names resolve on Linux too; stored presets must stay portable, so only IANA names pass.
            if (!zone.HasIanaId || string.Equals(id, "Local", StringComparison.OrdinalIgnoreCase))
                throw new PrebuildScheduleException(field, $"\"{id}\" is not an IANA time zone name");
            return zone;
        }
        catch (TimeZoneNotFoundException)
        {
            throw new PrebuildScheduleException(field, $"unknown time zone \"{id}\"");
        }
        catch (InvalidTimeZoneException)
        {
            throw new PrebuildScheduleException(field, $"time zone \"{id}\" has invalid data on this machine");
        }
    }

    // The hours of a week (index = day-of-week × 24 + hour) that the range covers.
    private static bool[] WeeklyHours(string text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new PrebuildScheduleException(field, "is empty; expected \"* <hours> * * <days-of-week>\", e.g. \"* 9-18 * * 1-5\"");
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts[0].Contains('=', StringComparison.Ordinal))
            throw new PrebuildScheduleException(field, $"\"{text}\": no prefix allowed; the time zone is the preset's scheduling_timezone");
        if (parts.Length != 5)
            throw new PrebuildScheduleException(field, $"\"{text}\" has {parts.Length} fields; expected 5 (minute hour day-of-month month day-of-week)");
        if (parts[0] != "*")
            throw new PrebuildScheduleException(field, $"\"{text}\": minute must be * (a schedule is a range of whole hours)");
        if (parts[2] != "*" || parts[3] != "*")
            throw new PrebuildScheduleException(field, $"\"{text}\": day-of-month and month must be *");
        if (parts[4].IndexOfAny(['L', 'W', '#', '?', 'l', 'w']) >= 0)
            throw new PrebuildScheduleException(field, $"\"{text}\": day-of-week must be numbers or names, ranges and lists (no L, W, # or ?)");

        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(string.Join(' ', parts), CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new PrebuildScheduleException(field, $"invalid cron expression \"{text}\": {e.Message}");
        }

        // Minute is *, so an hour is in the range exactly when its first minute is an occurrence; jumping from one
        // occurrence to the next hour costs one call per covered hour plus one per gap.
        var hours = new bool[HoursPerWeek];
        var end = ReferenceSunday.AddDays(7);
        var cursor = ReferenceSunday;
        while (cursor < end)
        {
            var next = expression.GetNextOccurrence(cursor, inclusive: true);
            if (next is not { } occurrence || occurrence >= end)
                break;
            hours[((int)occurrence.DayOfWeek * 24) + occurrence.Hour] = true;
            cursor = new DateTime(occurrence.Year, occurrence.Month, occurrence.Day, occurrence.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
        }

        return hours;
    }
}
