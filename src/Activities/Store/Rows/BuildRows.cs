namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>provisioner_jobs</c>; <see cref="JobStatus"/> is derived by the database.</summary>
public sealed record ProvisionerJobRow
{
    public Guid Id { get; init; }

    public Guid OrganizationId { get; init; }

    /// <summary>Stored text of <see cref="ProvisionerJobType"/>.</summary>
    public string Type { get; init; } = "workspace_build";

    public Guid InitiatorId { get; init; }

    public string? WorkerId { get; init; }

    /// <summary>JSON object of tags.</summary>
    public string Tags { get; init; } = "{}";

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CanceledAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public string? Error { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Workspaces.BuildStatus"/>, computed from the timestamps and error.</summary>
    public string JobStatus { get; init; } = "pending";
}

/// <summary>A row of <c>workspace_builds</c>.</summary>
public sealed record WorkspaceBuildRow
{
    public Guid Id { get; init; }

    public Guid WorkspaceId { get; init; }

    public int BuildNumber { get; init; }

    public Guid TemplateVersionId { get; init; }

    public Guid? TemplateVersionPresetId { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Workspaces.BuildTransition"/>.</summary>
    public string Transition { get; init; } = "start";

    /// <summary>Stored text of <see cref="StoredBuildReason"/>.</summary>
    public string Reason { get; init; } = "initiator";

    public Guid InitiatorId { get; init; }

    public Guid JobId { get; init; }

    public bool IsPrebuild { get; init; }

    /// <summary>JSON object of parameter name to value.</summary>
    public string Parameters { get; init; } = "{}";

    public DateTimeOffset? Deadline { get; init; }

    public DateTimeOffset? MaxDeadline { get; init; }

    public DateTimeOffset? NotifiedAutostopDeadline { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
