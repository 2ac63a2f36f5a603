using Lifecycle.Workflows.Prebuilds;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>Keeps only some presets' rows of a snapshot (the ones with work), so the workflow payload stays small.</summary>
public static class PrebuildSnapshotTrim
{
    /// <summary>The snapshot restricted to <paramref name="presetIds"/>; the paused flag is kept.</summary>
    public static GlobalSnapshot To(GlobalSnapshot snapshot, IReadOnlySet<Guid> presetIds) => snapshot with
    {
        Presets = [.. snapshot.Presets.Where(p => presetIds.Contains(p.Id))],
        Schedules = [.. snapshot.Schedules.Where(s => presetIds.Contains(s.PresetId))],
        Running = [.. snapshot.Running.Where(r => presetIds.Contains(r.PresetId))],
        InProgress = [.. snapshot.InProgress.Where(r => presetIds.Contains(r.PresetId))],
        Pending = [.. snapshot.Pending.Where(r => presetIds.Contains(r.PresetId))],
        Backoffs = [.. snapshot.Backoffs.Where(b => presetIds.Contains(b.PresetId))],
        HardLimitedPresetIds = [.. snapshot.HardLimitedPresetIds.Where(presetIds.Contains)],
        ClaimWindows = [.. snapshot.ClaimWindows.Where(w => presetIds.Contains(w.PresetId))],
    };
}
