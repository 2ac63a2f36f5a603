using System.Globalization;
using Lifecycle.Workflows.Prebuilds;

namespace Lifecycle.UnitTests.Prebuilds;

/// <summary>Builders for prebuild snapshots; ids are small numbers so failures read as "#3", not as Guids.</summary>
internal static class PrebuildFacts
{
    public static readonly Guid TemplateId = Id(1000);

    /// <summary>Mon 2 Jun 2025 10:00 UTC: the clock of most cases.</summary>
    public static readonly DateTimeOffset Now = At("2025-06-02T10:00:00Z");

    /// <summary>Coder's preset_snapshot_test backoff interval.</summary>
    public static readonly PrebuildOptions CoderTestOptions = new() { BackoffInterval = TimeSpan.FromSeconds(5) };

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    public static Guid Id(int n) => new($"00000000-0000-0000-0000-{n:D12}");

    /// <summary>The inverse of <see cref="Id"/>, for readable renderings.</summary>
    public static string Label(Guid id) => "#" + long.Parse(id.ToString()[24..], CultureInfo.InvariantCulture);

    public static PrebuildPreset Preset(int id, int? desired, bool active = true) => new()
    {
        Id = Id(id),
        TemplateId = TemplateId,
        TemplateVersionId = Id(id + 100),
        Name = $"preset-{id}",
        DesiredInstances = desired,
        UsingActiveVersion = active,
    };

    public static RunningPrebuild Running(int id, int presetId, DateTimeOffset createdAt, bool ready = true) => new()
    {
        Id = Id(id),
        PresetId = Id(presetId),
        CreatedAt = createdAt,
        Ready = ready,
    };

    public static PrebuildsInProgress InProgress(int presetId, PrebuildTransition transition, int count) => new()
    {
        PresetId = Id(presetId),
        Transition = transition,
        Count = count,
    };

    public static PrebuildSchedule Schedule(int id, int presetId, string cron, int desired) => new()
    {
        Id = Id(id),
        PresetId = Id(presetId),
        CronExpression = cron,
        DesiredInstances = desired,
    };

    public static PresetBackoff Backoff(int presetId, int numFailed, DateTimeOffset lastBuildAt) => new()
    {
        PresetId = Id(presetId),
        NumFailed = numFailed,
        LastBuildAt = lastBuildAt,
    };

    /// <summary>A snapshot of one preset (through <see cref="GlobalSnapshot.ForPreset"/>, as the workflow filters it).</summary>
    public static PresetSnapshot Snapshot(
        PrebuildPreset preset,
        IEnumerable<RunningPrebuild>? running = null,
        IEnumerable<PrebuildsInProgress>? inProgress = null,
        int pending = 0,
        PresetBackoff? backoff = null,
        bool hardLimited = false,
        IEnumerable<PrebuildSchedule>? schedules = null,
        bool paused = false,
        PresetClaimWindows? claims = null) =>
        new GlobalSnapshot
        {
            ReconciliationPaused = paused,
            Presets = [preset],
            Running = [.. running ?? []],
            InProgress = [.. inProgress ?? []],
            Pending = pending > 0 ? [new PendingPrebuilds { PresetId = preset.Id, Count = pending }] : [],
            Backoffs = backoff is null ? [] : [backoff],
            HardLimitedPresetIds = hardLimited ? [preset.Id] : [],
            Schedules = [.. schedules ?? []],
            ClaimWindows = claims is null ? [] : [claims with { PresetId = preset.Id }],
        }.ForPreset(preset.Id);

    /// <summary>"create 1 | delete expired [#3]" — the order matters and is part of the rendering.</summary>
    public static string Render(IEnumerable<PrebuildAction> actions)
    {
        var parts = actions.Select(a => a.Kind switch
        {
            PrebuildActionKind.Create => $"create {a.Create}",
            PrebuildActionKind.Delete => $"delete {a.DeleteReason?.ToString().ToLowerInvariant()} [{string.Join(",", a.DeleteIds.Select(Label))}]",
            PrebuildActionKind.Backoff => $"backoff until {a.BackoffUntil:yyyy-MM-ddTHH:mm:ss.fffffffZ}",
            PrebuildActionKind.CancelPending => "cancel-pending",
            PrebuildActionKind.MarkHardLimited => "mark-hard-limited",
            _ => $"unknown {a.Kind}",
        }).ToList();
        return parts.Count == 0 ? "none" : string.Join(" | ", parts);
    }

    /// <summary>"actual=1 expired=0 desired=1 eligible=1 extraneous=0 starting=0 stopping=0 deleting=0".</summary>
    public static string Render(PresetState s) =>
        $"actual={s.Actual} expired={s.Expired} desired={s.Desired} eligible={s.Eligible} extraneous={s.Extraneous} " +
        $"starting={s.Starting} stopping={s.Stopping} deleting={s.Deleting}";

    public static string State(int actual = 0, int expired = 0, int desired = 0, int eligible = 0, int extraneous = 0, int starting = 0, int stopping = 0, int deleting = 0) =>
        Render(new PresetState
        {
            Actual = actual,
            Expired = expired,
            Desired = desired,
            Eligible = eligible,
            Extraneous = extraneous,
            Starting = starting,
            Stopping = stopping,
            Deleting = deleting,
        });
}
