using Temporalio.Api.Schedule.V1;
using TemporalDev.Schedules.Calendar;
using TemporalDev.Schedules.Jitter;

namespace TemporalDev.Schedules.Spec;

/// <summary>One action time of a schedule: the nominal (spec) time and the actual time after jitter.</summary>
public readonly record struct ScheduleTime(DateTimeOffset Nominal, DateTimeOffset Actual);

/// <summary>
/// A validated, canonical schedule spec ready to answer "when next?", with the real server's
/// semantics: 1 s resolution, start_time inclusive, end_time inclusive, excludes, bounded jitter.
/// </summary>
public sealed class CompiledScheduleSpec
{
    // Bounds the search through excluded times, so a spec that excludes everything ends instead of spinning.
    private const int MaxExcludedIterations = 1_000_000;

    private readonly CompiledCalendar[] calendars;
    private readonly CompiledCalendar[] excludes;
    private readonly (long Interval, long Phase)[] intervals;
    private readonly DateTimeOffset? startTime;
    private readonly DateTimeOffset? endTime;
    private readonly TimeSpan jitter;

    private CompiledScheduleSpec(ScheduleSpec canonical, ZoneClock clock)
    {
        Canonical = canonical;
        calendars = [.. canonical.StructuredCalendar.Select(c => new CompiledCalendar(c, clock))];
        excludes = [.. canonical.ExcludeStructuredCalendar.Select(c => new CompiledCalendar(c, clock))];
        intervals = [.. canonical.Interval.Select(i => (
            Math.Max((long)(i.Interval?.ToTimeSpan() ?? TimeSpan.Zero).TotalSeconds, 1),
            Math.Max((long)(i.Phase?.ToTimeSpan() ?? TimeSpan.Zero).TotalSeconds, 0)))];
        startTime = canonical.StartTime?.ToDateTimeOffset();
        endTime = canonical.EndTime?.ToDateTimeOffset();
        jitter = canonical.Jitter?.ToTimeSpan() ?? TimeSpan.Zero;
    }

    /// <summary>Gets the canonical form the real server stores (see <see cref="ScheduleSpecCanonicalForm.Describe"/> for Describe).</summary>
    public ScheduleSpec Canonical { get; }

    /// <summary>Validates, canonicalises and compiles a spec, or throws <see cref="ScheduleSpecException"/>.</summary>
    public static CompiledScheduleSpec Compile(ScheduleSpec spec)
    {
        var canonical = ScheduleSpecCanonicalForm.Canonicalize(spec);
        return new CompiledScheduleSpec(canonical, ZoneClock.Load(canonical.TimezoneName));
    }

    /// <summary>
    /// The first action time strictly after <paramref name="after"/>, or null when the spec has no more
    /// (past end_time, or after 2100). The jitter is derived from the seed and the nominal time.
    /// </summary>
    public ScheduleTime? NextTime(string jitterSeed, DateTimeOffset after)
    {
        // Starting before start_time: jump to just before it so its first second can still match.
        if (startTime is { } start && after < start.AddSeconds(-1))
        {
            after = start.AddSeconds(-1);
        }
        DateTimeOffset? nominal = null;
        for (var iterations = 0; nominal == null || IsExcluded(nominal.Value); iterations++)
        {
            if (iterations >= MaxExcludedIterations)
            {
                return null;
            }
            nominal = RawNext(after);
            if (nominal == null || (endTime is { } end && nominal > end) || nominal.Value.Year > CalendarLimits.MaxYear)
            {
                return null;
            }
            after = nominal.Value;
        }

        var maxJitter = jitter;
        // Jitter never pushes an action past the following nominal time.
        if (RawNext(nominal.Value) is { } following && following - nominal.Value < maxJitter)
        {
            maxJitter = following - nominal.Value;
        }
        return new ScheduleTime(nominal.Value, ScheduleJitter.Apply(jitterSeed, nominal.Value, maxJitter));
    }

    /// <summary>The next <paramref name="count"/> action times after a time (what Describe shows as future action times).</summary>
    public IEnumerable<ScheduleTime> Upcoming(string jitterSeed, DateTimeOffset after, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (NextTime(jitterSeed, after) is not { } next)
            {
                yield break;
            }
            yield return next;
            after = next.Actual;
        }
    }

    /// <summary>True when an exclude calendar matches the instant.</summary>
    public bool IsExcluded(DateTimeOffset instant) => excludes.Any(e => e.Matches(instant));

    private DateTimeOffset? RawNext(DateTimeOffset after)
    {
        var best = long.MaxValue;
        foreach (var calendar in calendars)
        {
            if (calendar.Next(after) is { } next && next.ToUnixTimeSeconds() < best)
            {
                best = next.ToUnixTimeSeconds();
            }
        }
        var ts = after.ToUnixTimeSeconds();
        foreach (var (interval, phase) in intervals)
        {
            // Go's integer division truncates toward zero; times before 1970 do not occur here.
            var next = ((((ts - phase) / interval) + 1) * interval) + phase;
            best = Math.Min(best, next);
        }
        return best == long.MaxValue ? null : DateTimeOffset.FromUnixTimeSeconds(best);
    }
}
