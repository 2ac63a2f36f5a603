namespace Lifecycle.Workflows.Instances;

/// <summary>
/// How often a failed create is tried again (GARM's pool engine: at most 5 attempts in all) and how long each retry
/// waits: <see cref="FirstDelay"/> before the second attempt, doubling, capped at <see cref="MaxDelay"/>.
/// </summary>
public sealed record CreateRetryPolicy
{
    /// <summary>GARM's default: five create attempts in all.</summary>
    public const int DefaultMaxAttempts = 5;

    /// <summary>Attempts in all, the first included (at least 1).</summary>
    public int MaxAttempts { get; init; } = DefaultMaxAttempts;

    /// <summary>The wait before the second attempt.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait before an attempt.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Problems with the settings, each naming the field; empty when the policy is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxAttempts < 1)
            problems.Add($"MaxAttempts must be at least 1 (got {MaxAttempts})");
        if (FirstDelay < TimeSpan.Zero)
            problems.Add($"FirstDelay must not be negative (got {FirstDelay})");
        if (MaxDelay < FirstDelay)
            problems.Add($"MaxDelay ({MaxDelay}) must not be shorter than FirstDelay ({FirstDelay})");
        return problems;
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based): none for the first.</summary>
    public TimeSpan DelayBeforeAttempt(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        if (attempt == 1)
            return TimeSpan.Zero;
        var delay = FirstDelay;
        for (var i = 2; i < attempt && delay < MaxDelay; i++)
            delay *= 2;
        return delay > MaxDelay ? MaxDelay : delay;
    }

    /// <summary>What to do after attempt <paramref name="failedAttempt"/> (1-based) failed: retry after a wait, or give up.</summary>
    public CreateRetryDecision AfterFailure(int failedAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        if (failedAttempt >= MaxAttempts)
        {
            return new CreateRetryDecision(
                Retry: false,
                NextAttempt: null,
                Delay: TimeSpan.Zero,
                Reason: $"create failed {failedAttempt} time(s); the limit is {MaxAttempts} attempt(s)");
        }

        var next = failedAttempt + 1;
        return new CreateRetryDecision(Retry: true, NextAttempt: next, Delay: DelayBeforeAttempt(next), Reason: $"create attempt {next} of {MaxAttempts}");
    }
}

/// <summary>The verdict after a failed create: retry (which attempt, after what wait) or give up (why).</summary>
public sealed record CreateRetryDecision(bool Retry, int? NextAttempt, TimeSpan Delay, string Reason);
