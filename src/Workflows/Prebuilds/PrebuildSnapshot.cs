using System.Text.Json.Serialization;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>A preset's prebuild health as stored; <c>HardLimited</c> stops creates until an operator resets it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrebuildStatus>))]
public enum PrebuildStatus
{
    Healthy,
    HardLimited,
    ValidationFailed,
}

/// <summary>The transition of a prebuild's latest build that has not finished yet.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrebuildTransition>))]
public enum PrebuildTransition
{
    Start,
    Stop,
    Delete,
}

/// <summary>A preset with prebuild configuration, as one reconciliation pass read it (spec §1.10, B9).</summary>
public sealed record PrebuildPreset
{
    required public Guid Id { get; init; }

    required public Guid TemplateId { get; init; }

    required public Guid TemplateVersionId { get; init; }

    public string Name { get; init; } = "";

    public string TemplateName { get; init; } = "";

    public string OrganizationName { get; init; } = "";

    /// <summary>The preset's base count; null means the preset has no prebuilds.</summary>
    public int? DesiredInstances { get; init; }

    /// <summary>The preset's version is its template's active version.</summary>
    public bool UsingActiveVersion { get; init; }

    /// <summary>The template is soft-deleted.</summary>
    public bool TemplateDeleted { get; init; }

    /// <summary>The template is deprecated (Coder: non-empty deprecation message).</summary>
    public bool TemplateDeprecated { get; init; }

    /// <summary>Prebuild time-to-live in seconds (<c>invalidate_after_secs</c>); 0 or less means prebuilds never age out.</summary>
    public int InvalidateAfterSeconds { get; init; }

    /// <summary>Manual invalidation: every prebuild created before this instant is expired.</summary>
    public DateTimeOffset? LastInvalidatedAt { get; init; }

    /// <summary>IANA zone in which the preset's prebuild schedules are read; may be empty when there are none.</summary>
    public string? SchedulingTimeZone { get; init; }

    /// <summary>
    /// B16: an expression that overrides the scheduled target (<see cref="Prebuilds.TargetExpression"/>); null for none.
    /// Needs a valid <see cref="SchedulingTimeZone"/>; any error falls back to the scheduled target.
    /// </summary>
    public string? TargetExpression { get; init; }

    public PrebuildStatus Status { get; init; } = PrebuildStatus.Healthy;

    /// <summary>When an operator last reset the hard limit; failures before it no longer count.</summary>
    public DateTimeOffset? FailureLimitResetAt { get; init; }

    /// <summary>
    /// B9: prebuilds are kept only for a preset of the active version of a template that is neither deleted nor
    /// deprecated; any other preset is drained.
    /// </summary>
    [JsonIgnore]
    public bool IsActive => UsingActiveVersion && !TemplateDeleted && !TemplateDeprecated;
}

/// <summary>A time-of-day target: while <see cref="CronExpression"/> (minute must be <c>*</c>) covers now, want this many.</summary>
public sealed record PrebuildSchedule
{
    public Guid Id { get; init; }

    required public Guid PresetId { get; init; }

    /// <summary>Five cron fields read as a time range, e.g. <c>* 9-18 * * 1-5</c> = 09:00:00–18:59:59 Monday to Friday.</summary>
    required public string CronExpression { get; init; }

    required public int DesiredInstances { get; init; }
}

/// <summary>A prebuild whose latest build is a successful start, still owned by the prebuilds user.</summary>
public sealed record RunningPrebuild
{
    required public Guid Id { get; init; }

    /// <summary>The preset of the most recent start build that had one.</summary>
    required public Guid PresetId { get; init; }

    /// <summary>When the instance (not its latest build) was created: the age that TTL and invalidation compare.</summary>
    required public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Every agent reported ready: the prebuild can be claimed.</summary>
    public bool Ready { get; init; }
}

/// <summary>Prebuilds of a preset whose latest build (on the active version) is pending or running.</summary>
public sealed record PrebuildsInProgress
{
    required public Guid PresetId { get; init; }

    required public PrebuildTransition Transition { get; init; }

    required public int Count { get; init; }
}

/// <summary>Initial start builds of a preset on a non-active version that no worker picked up yet (B12).</summary>
public sealed record PendingPrebuilds
{
    required public Guid PresetId { get; init; }

    required public int Count { get; init; }
}

/// <summary>Recent creation failures of a preset (B21): back off until <c>LastBuildAt + NumFailed × interval</c>.</summary>
public sealed record PresetBackoff
{
    required public Guid PresetId { get; init; }

    /// <summary>Failed creation attempts inside the lookback window.</summary>
    required public int NumFailed { get; init; }

    /// <summary>Creation time of the newest failed attempt among the preset's latest attempts.</summary>
    required public DateTimeOffset LastBuildAt { get; init; }
}

/// <summary>Everything one reconciliation pass knows, read in one repeatable-read transaction (B4).</summary>
public sealed record GlobalSnapshot
{
    /// <summary>The operator paused reconciliation: a pass does nothing (B3).</summary>
    public bool ReconciliationPaused { get; init; }

    public IReadOnlyList<PrebuildPreset> Presets { get; init; } = [];

    public IReadOnlyList<PrebuildSchedule> Schedules { get; init; } = [];

    public IReadOnlyList<RunningPrebuild> Running { get; init; } = [];

    public IReadOnlyList<PrebuildsInProgress> InProgress { get; init; } = [];

    public IReadOnlyList<PendingPrebuilds> Pending { get; init; } = [];

    public IReadOnlyList<PresetBackoff> Backoffs { get; init; } = [];

    /// <summary>Presets whose latest <c>hard_limit</c> creation attempts all failed (B22).</summary>
    public IReadOnlyList<Guid> HardLimitedPresetIds { get; init; } = [];

    /// <summary>Claims and misses over the trailing windows, for presets with a target expression (B16); empty before B16.</summary>
    public IReadOnlyList<PresetClaimWindows> ClaimWindows { get; init; } = [];

    /// <summary>The view of one preset; fails with the preset id when the snapshot has no such preset.</summary>
    public PresetSnapshot ForPreset(Guid presetId)
    {
        var preset = Presets.FirstOrDefault(p => p.Id == presetId)
            ?? throw new KeyNotFoundException($"preset {presetId}: not in the prebuild snapshot (no prebuild configuration, or deleted since the read)");
        return new PresetSnapshot
        {
            Preset = preset,
            Schedules = [.. Schedules.Where(s => s.PresetId == presetId)],
            Running = [.. Running.Where(r => r.PresetId == presetId)],
            InProgress = [.. InProgress.Where(r => r.PresetId == presetId)],
            PendingCount = Pending.Where(r => r.PresetId == presetId).Sum(r => r.Count),
            Backoff = Backoffs.FirstOrDefault(b => b.PresetId == presetId),
            IsHardLimited = HardLimitedPresetIds.Contains(presetId),
            ReconciliationPaused = ReconciliationPaused,
            ClaimWindows = ClaimWindows.FirstOrDefault(w => w.PresetId == presetId),
        };
    }

    /// <summary>The view of every preset, in snapshot order; one pass over each row list, whatever the preset count.</summary>
    public IReadOnlyList<PresetSnapshot> PerPreset()
    {
        var schedules = Schedules.ToLookup(s => s.PresetId);
        var running = Running.ToLookup(r => r.PresetId);
        var inProgress = InProgress.ToLookup(r => r.PresetId);
        var pending = Pending.ToLookup(r => r.PresetId);
        var backoffs = Backoffs.ToLookup(b => b.PresetId);
        var hardLimited = HardLimitedPresetIds.ToHashSet();
        var claimWindows = ClaimWindows.ToLookup(w => w.PresetId);
        return
        [
            .. Presets.Select(p => new PresetSnapshot
            {
                Preset = p,
                Schedules = [.. schedules[p.Id]],
                Running = [.. running[p.Id]],
                InProgress = [.. inProgress[p.Id]],
                PendingCount = pending[p.Id].Sum(r => r.Count),
                Backoff = backoffs[p.Id].FirstOrDefault(),
                IsHardLimited = hardLimited.Contains(p.Id),
                ReconciliationPaused = ReconciliationPaused,
                ClaimWindows = claimWindows[p.Id].FirstOrDefault(),
            }),
        ];
    }
}

/// <summary>The part of a <see cref="GlobalSnapshot"/> that concerns one preset: the input of its decision.</summary>
public sealed record PresetSnapshot
{
    required public PrebuildPreset Preset { get; init; }

    public IReadOnlyList<PrebuildSchedule> Schedules { get; init; } = [];

    /// <summary>Running prebuilds of this preset, expired or not: expiry depends on the decision's clock.</summary>
    public IReadOnlyList<RunningPrebuild> Running { get; init; } = [];

    public IReadOnlyList<PrebuildsInProgress> InProgress { get; init; } = [];

    public int PendingCount { get; init; }

    public PresetBackoff? Backoff { get; init; }

    /// <summary>The snapshot found the preset at the failure limit (B22).</summary>
    public bool IsHardLimited { get; init; }

    public bool ReconciliationPaused { get; init; }

    /// <summary>The preset's claims and misses over the trailing windows; null reads as all zero.</summary>
    public PresetClaimWindows? ClaimWindows { get; init; }
}
