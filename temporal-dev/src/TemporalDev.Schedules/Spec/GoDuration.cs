using System.Globalization;

namespace TemporalDev.Schedules.Spec;

/// <summary>
/// Parses durations the way the real server does for "@every" cron strings: Go's time.ParseDuration
/// syntax ("1h30m", "1.5h", "90s", "300ms") plus "d" for exactly 24 hours.
/// </summary>
public static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01),
        ("us", 10),
        ("µs", 10),
        ("μs", 10),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
        ("d", TimeSpan.TicksPerDay),
    ];

    public static TimeSpan Parse(string text)
    {
        var s = text;
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0")
        {
            return TimeSpan.Zero;
        }
        if (s.Length == 0)
        {
            throw Invalid(text);
        }
        double ticks = 0;
        while (s.Length > 0)
        {
            var numberEnd = 0;
            while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.'))
            {
                numberEnd++;
            }
            if (numberEnd == 0 || !double.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                throw Invalid(text);
            }
            s = s[numberEnd..];
            var unitEnd = 0;
            while (unitEnd < s.Length && !char.IsAsciiDigit(s[unitEnd]) && s[unitEnd] != '.')
            {
                unitEnd++;
            }
            if (unitEnd == 0)
            {
                throw new ScheduleSpecException($"time: missing unit in duration \"{text}\"");
            }
            var unit = s[..unitEnd];
            var scale = Units.Where(u => u.Unit == unit).Select(u => u.Ticks).FirstOrDefault();
            if (scale == 0)
            {
                throw new ScheduleSpecException($"time: unknown unit \"{unit}\" in duration \"{text}\"");
            }
            ticks += number * scale;
            s = s[unitEnd..];
        }
        var span = TimeSpan.FromTicks((long)Math.Round(ticks));
        return negative ? -span : span;
    }

    private static ScheduleSpecException Invalid(string text) => new($"time: invalid duration \"{text}\"");
}
