using TemporalDev.Schedules.Spec;

namespace TemporalDev.Schedules.Calendar;

/// <summary>
/// Wall-clock arithmetic in a named time zone with Go's rules, because the calendar walk of the real
/// server relies on how Go's time.Date resolves times skipped or repeated by a DST change.
/// </summary>
public sealed class ZoneClock
{
    private ZoneClock(TimeZoneInfo zone) => Zone = zone;

    public static ZoneClock Utc { get; } = new(TimeZoneInfo.Utc);

    public TimeZoneInfo Zone { get; }

    /// <summary>Loads a zone as Go's time.LoadLocation does: "" and "UTC" are UTC, "Local" is the machine's zone.</summary>
    public static ZoneClock Load(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "UTC")
        {
            return Utc;
        }
        if (name == "Local")
        {
            return new ZoneClock(TimeZoneInfo.Local);
        }
        // Windows zone names are not IANA names; Go (and so the real server) does not know them.
        if (TimeZoneInfo.TryConvertWindowsIdToIanaId(name, out var iana) && iana != name)
        {
            throw new ScheduleSpecException($"unknown time zone {name}");
        }
        try
        {
            return new ZoneClock(TimeZoneInfo.FindSystemTimeZoneById(name));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ScheduleSpecException($"unknown time zone {name}");
        }
    }

    /// <summary>The wall-clock reading of an instant in this zone.</summary>
    public DateTime ToLocal(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTimeFromUtc(instant.UtcDateTime, Zone);

    /// <summary>
    /// The instant of a wall-clock reading, normalising overflowing fields (hour 24, day 32) like Go.
    /// A skipped reading maps past the gap and a repeated one to the copy Go picks: the offset in force
    /// at the reading taken as UTC, unless that offset does not hold at the resulting instant.
    /// </summary>
    public DateTimeOffset Date(int year, int month, int day, int hour, int minute, int second)
    {
        var local = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Unspecified)
            .AddDays(day - 1).AddHours(hour).AddMinutes(minute).AddSeconds(second);
        var asUtc = DateTime.SpecifyKind(local, DateTimeKind.Utc);
        var guess = Zone.GetUtcOffset(asUtc);
        var utc = asUtc - guess;
        var actual = Zone.GetUtcOffset(utc);
        if (actual != guess)
        {
            utc = asUtc - actual;
        }
        return new DateTimeOffset(utc, TimeSpan.Zero);
    }
}
