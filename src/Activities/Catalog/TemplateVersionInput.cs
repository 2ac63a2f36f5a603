using Lifecycle.Activities.Store.Rows;

namespace Lifecycle.Activities.Catalog;

/// <summary>A new template version with its presets, validated by the caller.</summary>
public sealed record NewTemplateVersion
{
    required public string Name { get; init; }

    public string Message { get; init; } = "";

    public string ProviderImage { get; init; } = "";

    public string ProviderFlavor { get; init; } = "";

    /// <summary>JSON object passed to the provider untouched.</summary>
    public string ProviderExtraSpecs { get; init; } = "{}";

    /// <summary>Make it the template's active version (the reconciler then drains the old version's prebuilds).</summary>
    public bool Activate { get; init; }

    public IReadOnlyList<NewPreset> Presets { get; init; } = [];
}

/// <summary>A preset of a new version: parameter values, how many prebuilds to keep, their TTL and time-of-day targets.</summary>
public sealed record NewPreset
{
    required public string Name { get; init; }

    /// <summary>Null: the preset has no prebuilds.</summary>
    public int? DesiredInstances { get; init; }

    public int InvalidateAfterSecs { get; init; }

    public string SchedulingTimezone { get; init; } = "";

    /// <summary>B16: overrides the scheduled target; null for none. Parsed and checked against the zone by the caller.</summary>
    public string? TargetExpression { get; init; }

    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<NewPrebuildSchedule> Schedules { get; init; } = [];
}

/// <summary>While the cron range covers now (in the preset's zone), want this many prebuilds.</summary>
public sealed record NewPrebuildSchedule(string CronExpression, int DesiredInstances);

/// <summary>A preset with its template, parameters and schedules.</summary>
public sealed record PresetDetails(
    PresetRow Preset,
    Guid TemplateId,
    string TemplateName,
    string VersionName,
    IReadOnlyList<PresetParameterRow> Parameters,
    IReadOnlyList<PresetPrebuildScheduleRow> Schedules,
    bool OnActiveVersion);

/// <summary>The stored version, its presets, and whether it became the active version.</summary>
public sealed record TemplateVersionCreated(TemplateVersionRow Version, IReadOnlyList<PresetDetails> Presets, bool Activated);
