namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>presets</c>: a named set of parameter values and how many prebuilds of it to keep.</summary>
public sealed record PresetRow
{
    public Guid Id { get; init; }

    public Guid TemplateVersionId { get; init; }

    public string Name { get; init; } = "";

    /// <summary>Null means the preset has no prebuilds.</summary>
    public int? DesiredInstances { get; init; }

    /// <summary>Prebuild TTL in seconds; 0 means never.</summary>
    public int InvalidateAfterSecs { get; init; }

    public string SchedulingTimezone { get; init; } = "";

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Prebuilds.PrebuildStatus"/>.</summary>
    public string PrebuildStatus { get; init; } = "healthy";

    public DateTimeOffset? LastInvalidatedAt { get; init; }

    public DateTimeOffset? FailureLimitResetAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A row of <c>preset_parameters</c>.</summary>
public sealed record PresetParameterRow
{
    public Guid PresetId { get; init; }

    public string Name { get; init; } = "";

    public string Value { get; init; } = "";
}

/// <summary>A row of <c>preset_prebuild_schedules</c>: a time-of-day desired count.</summary>
public sealed record PresetPrebuildScheduleRow
{
    public Guid Id { get; init; }

    public Guid PresetId { get; init; }

    public string CronExpression { get; init; } = "";

    public int DesiredInstances { get; init; }
}

/// <summary>A row of <c>prebuild_events</c>.</summary>
public sealed record PrebuildEventRow
{
    public long Id { get; init; }

    public Guid PresetId { get; init; }

    /// <summary>Stored text of <see cref="PrebuildEventKind"/>.</summary>
    public string Kind { get; init; } = "";

    public DateTimeOffset CreatedAt { get; init; }
}
