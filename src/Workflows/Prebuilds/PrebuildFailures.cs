namespace Lifecycle.Workflows.Prebuilds;

/// <summary>One creation attempt of a preset: the latest start build of one of its prebuilds (active version).</summary>
public sealed record PrebuildAttempt(DateTimeOffset CreatedAt, bool Failed);

/// <summary>
/// Backoff rows and the hard limit from a preset's creation attempts (B21, B22). The snapshot's SQL computes the
/// same thing in the database; these functions are the reference it is tested against.
/// </summary>
public static class PrebuildFailures
{
    /// <summary>
    /// A backoff row when any of the <paramref name="desiredInstances"/> newest attempts failed inside the lookback
    /// window (created at or after <c>now − lookback</c>); it counts every failure in the window and carries the
    /// newest such failed attempt's time.
    /// </summary>
    public static PresetBackoff? Backoff(Guid presetId, IEnumerable<PrebuildAttempt> attempts, int desiredInstances, DateTimeOffset now, TimeSpan lookback)
    {
        var windowStart = now - lookback;
        var all = attempts.ToList();
        var recentFailures = all
            .OrderByDescending(a => a.CreatedAt)
            .Take(Math.Max(desiredInstances, 0))
            .Where(a => a.Failed && a.CreatedAt >= windowStart)
            .ToList();
        if (recentFailures.Count == 0)
            return null;
        return new PresetBackoff
        {
            PresetId = presetId,
            NumFailed = all.Count(a => a.Failed && a.CreatedAt >= windowStart),
            LastBuildAt = recentFailures.Max(a => a.CreatedAt),
        };
    }

    /// <summary>
    /// At the limit when the <paramref name="hardLimit"/> newest attempts (after the operator's last reset) all
    /// failed; fewer attempts than the limit never reach it, and a limit of 0 is off.
    /// </summary>
    public static bool IsAtHardLimit(IEnumerable<PrebuildAttempt> attempts, int hardLimit, DateTimeOffset? resetAt = null)
    {
        if (hardLimit <= 0)
            return false;
        var newest = attempts
            .Where(a => resetAt is null || a.CreatedAt > resetAt)
            .OrderByDescending(a => a.CreatedAt)
            .Take(hardLimit)
            .ToList();
        return newest.Count == hardLimit && newest.TrueForAll(a => a.Failed);
    }

    /// <summary>The end of a backoff: the newest failure plus one interval per failure, saturating instead of overflowing.</summary>
    public static DateTimeOffset BackoffUntil(PresetBackoff backoff, TimeSpan interval)
    {
        var ticks = (decimal)interval.Ticks * backoff.NumFailed;
        var room = (decimal)(DateTimeOffset.MaxValue.UtcTicks - backoff.LastBuildAt.UtcTicks);
        return ticks >= room ? DateTimeOffset.MaxValue : backoff.LastBuildAt.AddTicks((long)ticks);
    }
}
