using Temporalio.Api.Schedule.V1;

namespace TemporalDev.Schedules.Calendar;

/// <summary>A structured calendar compiled into per-field predicates, evaluated in one time zone.</summary>
public sealed class CompiledCalendar
{
    private readonly ZoneClock clock;
    private readonly Func<int, bool> year;
    private readonly ulong month;
    private readonly ulong dayOfMonth;
    private readonly ulong dayOfWeek;
    private readonly ulong hour;
    private readonly ulong minute;
    private readonly ulong second;

    public CompiledCalendar(StructuredCalendarSpec calendar, ZoneClock clock)
    {
        this.clock = clock;
        year = YearMatcher(calendar.Year);
        month = Bits(calendar.Month);
        dayOfMonth = Bits(calendar.DayOfMonth);
        dayOfWeek = Bits(calendar.DayOfWeek);
        hour = Bits(calendar.Hour);
        minute = Bits(calendar.Minute);
        second = Bits(calendar.Second);
    }

    /// <summary>True when every field of the instant's wall-clock reading matches.</summary>
    public bool Matches(DateTimeOffset instant)
    {
        var t = clock.ToLocal(instant);
        return year(t.Year) && Has(month, t.Month) && Has(dayOfMonth, t.Day) && Has(dayOfWeek, (int)t.DayOfWeek)
            && Has(hour, t.Hour) && Has(minute, t.Minute) && Has(second, t.Second);
    }

    /// <summary>The earliest matching instant strictly after the given one (1 s resolution), or null.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var t = clock.ToLocal(after);
        int y = t.Year, mo = t.Month, d = t.Day, h = t.Hour, m = t.Minute, s = t.Second;
        var dstOffset = TimeSpan.Zero;
        // In the second copy of an hour repeated by a DST change, the walk continues in that copy.
        if (clock.ToLocal(after.AddHours(-1)).Hour == h)
        {
            dstOffset = TimeSpan.FromHours(1);
        }
        s++;
        while (true)
        {
            if (s >= 60)
            {
                (m, s) = (m + 1, 0);
            }
            if (m >= 60)
            {
                var previous = clock.Date(y, mo, d, h, 0, 0);
                (h, m) = (h + 1, 0);
                var following = clock.Date(y, mo, d, h, 0, 0);
                // Moving to the next hour took two real hours: a repeated hour was jumped; walk its second copy.
                if (dstOffset == TimeSpan.Zero && following - previous > TimeSpan.FromHours(1))
                {
                    h--;
                    dstOffset = TimeSpan.FromHours(1);
                }
                else
                {
                    dstOffset = TimeSpan.Zero;
                }
            }
            if (h >= 24)
            {
                (d, h) = (d + 1, 0);
            }
            if (d > DaysIn(y, mo))
            {
                (mo, d) = (mo + 1, 1);
            }
            if (mo > 12)
            {
                (y, mo) = (y + 1, 1);
            }
            if (y > CalendarLimits.MaxYear)
            {
                return null;
            }
            if (!year(y))
            {
                (y, mo, d, h, m, s) = (y + 1, 1, 1, 0, 0, 0);
                dstOffset = TimeSpan.Zero;
                continue;
            }
            if (!AdvanceMonth(ref mo, ref d, ref h, ref m, ref s, ref dstOffset)
                || !AdvanceDay(y, mo, ref d, ref h, ref m, ref s, ref dstOffset)
                || !AdvanceHour(ref h, ref m, ref s, ref dstOffset)
                || !Advance(minute, ref m, ref s)
                || !Advance(second, ref s))
            {
                continue;
            }
            var candidate = clock.Date(y, mo, d, h, m, s);
            // A reading skipped by a DST change lands in another hour: try the next hour instead.
            if (clock.ToLocal(candidate).Hour != h)
            {
                (h, m, s) = (h + 1, 0, 0);
                continue;
            }
            return candidate + dstOffset;
        }
    }

    private bool AdvanceMonth(ref int mo, ref int d, ref int h, ref int m, ref int s, ref TimeSpan dstOffset)
    {
        while (!Has(month, mo))
        {
            (mo, d, h, m, s) = (mo + 1, 1, 0, 0, 0);
            dstOffset = TimeSpan.Zero;
            if (mo > 12)
            {
                return false;
            }
        }
        return true;
    }

    private bool AdvanceDay(int y, int mo, ref int d, ref int h, ref int m, ref int s, ref TimeSpan dstOffset)
    {
        while (!Has(dayOfMonth, d) || !Has(dayOfWeek, (int)new DateTime(y, mo, Math.Min(d, DateTime.DaysInMonth(y, mo))).DayOfWeek))
        {
            (d, h, m, s) = (d + 1, 0, 0, 0);
            dstOffset = TimeSpan.Zero;
            if (d > DateTime.DaysInMonth(y, mo))
            {
                return false;
            }
        }
        return true;
    }

    private bool AdvanceHour(ref int h, ref int m, ref int s, ref TimeSpan dstOffset)
    {
        while (!Has(hour, h))
        {
            (h, m, s) = (h + 1, 0, 0);
            dstOffset = TimeSpan.Zero;
            if (h >= 24)
            {
                return false;
            }
        }
        return true;
    }

    private static bool Advance(ulong bits, ref int m, ref int s)
    {
        while (!Has(bits, m))
        {
            (m, s) = (m + 1, 0);
            if (m >= 60)
            {
                return false;
            }
        }
        return true;
    }

    private static bool Advance(ulong bits, ref int s)
    {
        while (!Has(bits, s))
        {
            s++;
            if (s >= 60)
            {
                return false;
            }
        }
        return true;
    }

    // A month past December appears only transiently (before the year carries) and always with day 1.
    private static int DaysIn(int year, int month) => month > 12 ? 31 : DateTime.DaysInMonth(year, month);

    private static bool Has(ulong bits, int value) => value is >= 0 and < 64 && ((bits >> value) & 1) != 0;

    private static ulong Bits(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges)
    {
        ulong bits = 0;
        foreach (var value in Expand(ranges))
        {
            if (value is >= 0 and < 64)
            {
                bits |= 1UL << value;
            }
        }
        return bits;
    }

    private static Func<int, bool> YearMatcher(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges)
    {
        var years = Expand(ranges).ToHashSet();
        // An empty year list means every year.
        return years.Count == 0 ? _ => true : years.Contains;
    }

    private static IEnumerable<int> Expand(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges)
    {
        foreach (var r in ranges)
        {
            var step = r.Step <= 0 ? 1 : r.Step;
            var end = r.End < r.Start ? r.Start : r.End;
            for (var v = r.Start; v <= end; v += step)
            {
                yield return v;
            }
        }
    }
}
