namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>presets</c>: a named set of parameter values and how many prebuilds of it to keep.</summary>
public record PresetRow
{
    public Guid Id { get; init; }

    public Guid TemplateVersionId { get; init; }

    public string Name { get; init; } = "";

    /// <summary>Null means the preset has no prebuilds.</summary>
    public int? DesiredInstances { get; init; }

    /// <summary>Prebuild TTL in seconds; 0 means never.</summary>
    public int InvalidateAfterSecs { get; init; }

    public string SchedulingTimezone { get; init; } = "";

    /// <summary>B16: overrides the scheduled target; null for none (migration 0002).</summary>
    public string? TargetExpression { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Prebuilds.PrebuildStatus"/>.</summary>
    public string PrebuildStatus { get; init; } = "healthy";

    public DateTimeOffset? LastInvalidatedAt { get; init; }

    public DateTimeOffset? FailureLimitResetAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A <c>presets</c> row read with the facts of its version, template and organization that decide what may be done
/// with it: the one shape the catalog, the prebuild insert and the reconcile snapshot read a preset in (each query
/// selects <c>p.*</c> and the template columns it needs; the rest keep their defaults).
/// </summary>
public sealed record PresetWithTemplateRow : PresetRow
{
    public Guid TemplateId { get; init; }

    public string TemplateName { get; init; } = "";

    public string VersionName { get; init; } = "";

    public Guid OrganizationId { get; init; }

    public string OrganizationName { get; init; } = "";

    /// <summary>The template's active version; null while it has none.</summary>
    public Guid? ActiveVersionId { get; init; }

    public bool TemplateDeleted { get; init; }

    /// <summary>The template's deprecation message is not empty.</summary>
    public bool TemplateDeprecated { get; init; }

    public string ProviderName { get; init; } = "";

    public TimeSpan BootstrapTimeout { get; init; }

    /// <summary>The preset belongs to its template's active version.</summary>
    public bool OnActiveVersion => ActiveVersionId == TemplateVersionId;
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
