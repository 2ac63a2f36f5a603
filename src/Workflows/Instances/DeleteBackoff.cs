namespace Lifecycle.Workflows.Instances;

/// <summary>
/// How long a failed provider delete waits before the next attempt (GARM's instance manager): the first attempt is
/// immediate, then 1 s, doubling after each failure, capped at 5 min — 0, 1, 2, 4 … 256, 300, 300 … seconds.
/// </summary>
public static class DeleteBackoff
{
    /// <summary>The wait after the first failure.</summary>
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromMinutes(5);

    /// <summary>The wait after one more failure, given the wait before it (zero before any failure).</summary>
    public static TimeSpan Next(TimeSpan current)
    {
        if (current <= TimeSpan.Zero)
            return First;
        return current >= Cap / 2 ? Cap : current * 2;
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based): zero for the first, then <see cref="Next"/> of the previous.</summary>
    public static TimeSpan BeforeAttempt(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var wait = TimeSpan.Zero;
        for (var i = 1; i < attempt && wait < Cap; i++)
            wait = Next(wait);
        return wait;
    }
}
