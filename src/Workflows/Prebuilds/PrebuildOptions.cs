namespace Lifecycle.Workflows.Prebuilds;

/// <summary>Tuning of the reconciler's failure handling; the defaults are Coder's.</summary>
public sealed record PrebuildOptions
{
    /// <summary>Backoff per failed attempt: a preset with n recent failures waits n × this after the latest one.</summary>
    public TimeSpan BackoffInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How far back failed attempts count towards backoff.</summary>
    public TimeSpan BackoffLookback { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Consecutive failed creation attempts that stop creates for a preset; 0 turns the limit off.</summary>
    public int FailureHardLimit { get; init; } = 3;

    /// <summary>Coder's defaults: 15 s interval, 1 h lookback, limit 3.</summary>
    public static PrebuildOptions Default { get; } = new();

    /// <summary>Fails with the field and the problem when an option cannot work.</summary>
    public PrebuildOptions Validate()
    {
        if (BackoffInterval < TimeSpan.Zero)
            throw new ArgumentException($"prebuilds backoff_interval: must not be negative, got {BackoffInterval}", nameof(BackoffInterval));
        if (BackoffLookback <= TimeSpan.Zero)
            throw new ArgumentException($"prebuilds backoff_lookback: must be positive, got {BackoffLookback}", nameof(BackoffLookback));
        if (FailureHardLimit < 0)
            throw new ArgumentException($"prebuilds failure_hard_limit: must be 0 (off) or positive, got {FailureHardLimit}", nameof(FailureHardLimit));
        return this;
    }
}
