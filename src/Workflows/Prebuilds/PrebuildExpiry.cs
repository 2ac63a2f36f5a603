namespace Lifecycle.Workflows.Prebuilds;

/// <summary>Whether a running prebuild is too old to hand out (B10).</summary>
public static class PrebuildExpiry
{
    /// <summary>
    /// Expired when created strictly before the preset's manual invalidation, or older than the preset's TTL
    /// (age strictly greater: a prebuild exactly TTL old is still fresh, as in Coder).
    /// </summary>
    public static bool IsExpired(PrebuildPreset preset, RunningPrebuild prebuild, DateTimeOffset now)
    {
        if (preset.LastInvalidatedAt is { } invalidatedAt && prebuild.CreatedAt < invalidatedAt)
            return true;
        return preset.InvalidateAfterSeconds > 0
            && now - prebuild.CreatedAt > TimeSpan.FromSeconds(preset.InvalidateAfterSeconds);
    }
}
