namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>templates</c>: the scheduling policy and the provider of every workspace made from it.</summary>
public sealed record TemplateRow
{
    public Guid Id { get; init; }

    public Guid OrganizationId { get; init; }

    public string Name { get; init; } = "";

    public string DisplayName { get; init; } = "";

    public string ProviderName { get; init; } = "";

    public Guid? ActiveVersionId { get; init; }

    public bool Deleted { get; init; }

    /// <summary>Non-empty means deprecated; the text is the message.</summary>
    public string Deprecated { get; init; } = "";

    public bool RequireActiveVersion { get; init; }

    public TimeSpan DefaultTtl { get; init; }

    public TimeSpan ActivityBump { get; init; } = TimeSpan.FromHours(1);

    public bool AllowUserAutostart { get; init; } = true;

    public bool AllowUserAutostop { get; init; } = true;

    /// <summary>Bitmap of <see cref="Lifecycle.Workflows.Workspaces.Weekdays"/> (bit 0 Monday … bit 6 Sunday).</summary>
    public short AutostartAllowedDays { get; init; } = 127;

    public short AutostopRequirementDaysOfWeek { get; init; }

    public short AutostopRequirementWeeks { get; init; } = 1;

    public TimeSpan FailureTtl { get; init; }

    public TimeSpan TimeTilDormant { get; init; }

    public TimeSpan TimeTilDormantAutodelete { get; init; }

    public TimeSpan TimeTilAutostopNotify { get; init; }

    public TimeSpan BootstrapTimeout { get; init; } = TimeSpan.FromMinutes(20);

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A row of <c>template_versions</c>.</summary>
public sealed record TemplateVersionRow
{
    public Guid Id { get; init; }

    public Guid TemplateId { get; init; }

    public string Name { get; init; } = "";

    public string Message { get; init; } = "";

    public string ProviderImage { get; init; } = "";

    public string ProviderFlavor { get; init; } = "";

    /// <summary>JSON object passed to the provider untouched.</summary>
    public string ProviderExtraSpecs { get; init; } = "{}";

    public Guid? CreatedBy { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
