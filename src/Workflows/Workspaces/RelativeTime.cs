using System.Globalization;

namespace Lifecycle.Workflows.Workspaces;

/// <summary>Human relative times for notifications ("1 month from now", "3 hours ago"), with go-humanize's magnitudes.</summary>
public static class RelativeTime
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);
    private static readonly TimeSpan Year = TimeSpan.FromDays(360);

    // (below this difference, format, divisor for {0}); the first row whose bound exceeds the difference wins.
    private static readonly (TimeSpan Below, string Format, TimeSpan Unit)[] Magnitudes =
    [
        (TimeSpan.FromSeconds(1), "now", TimeSpan.Zero),
        (TimeSpan.FromSeconds(2), "1 second {1}", TimeSpan.Zero),
        (TimeSpan.FromMinutes(1), "{0} seconds {1}", TimeSpan.FromSeconds(1)),
        (TimeSpan.FromMinutes(2), "1 minute {1}", TimeSpan.Zero),
        (TimeSpan.FromHours(1), "{0} minutes {1}", TimeSpan.FromMinutes(1)),
        (TimeSpan.FromHours(2), "1 hour {1}", TimeSpan.Zero),
        (Day, "{0} hours {1}", TimeSpan.FromHours(1)),
        (Day * 2, "1 day {1}", TimeSpan.Zero),
        (Week, "{0} days {1}", Day),
        (Week * 2, "1 week {1}", TimeSpan.Zero),
        (Month, "{0} weeks {1}", Week),
        (Month * 2, "1 month {1}", TimeSpan.Zero),
        (Year, "{0} months {1}", Month),
        (Month * 18, "1 year {1}", TimeSpan.Zero),
        (Year * 2, "2 years {1}", TimeSpan.Zero),
        (Year * 37, "{0} years {1}", Year),
        (TimeSpan.MaxValue, "a long while {1}", TimeSpan.Zero),
    ];

    /// <summary><paramref name="then"/> relative to <paramref name="now"/>.</summary>
    public static string Describe(DateTimeOffset then, DateTimeOffset now)
    {
        var future = then > now;
        var difference = future ? then - now : now - then;
        var label = future ? "from now" : "ago";
        foreach (var (below, format, unit) in Magnitudes)
        {
            if (difference < below)
            {
                var count = unit == TimeSpan.Zero ? 0 : difference.Ticks / unit.Ticks;
                return string.Format(CultureInfo.InvariantCulture, format, count, label);
            }
        }

        return string.Format(CultureInfo.InvariantCulture, "a long while {0}", label);
    }
}
