namespace Lifecycle.Activities.Store.Rows;

/// <summary>
/// A row of <c>workspaces</c>: one instance (machine) for its whole life — a prebuild while the prebuilds user owns
/// it, a user's workspace once claimed.
/// </summary>
public sealed record WorkspaceRow
{
    public Guid Id { get; init; }

    public Guid OrganizationId { get; init; }

    public Guid OwnerId { get; init; }

    public Guid TemplateId { get; init; }

    public Guid? PresetId { get; init; }

    public string Name { get; init; } = "";

    /// <summary>The provider-facing name, fixed at creation.</summary>
    public string InstanceName { get; init; } = "";

    public bool Deleted { get; init; }

    public string? AutostartSchedule { get; init; }

    public TimeSpan? Ttl { get; init; }

    public DateTimeOffset LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset? DeletingAt { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Workspaces.AutomaticUpdates"/>.</summary>
    public string AutomaticUpdates { get; init; } = "never";

    public string ProviderName { get; init; } = "";

    public string? ProviderId { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Instances.InstanceStatus"/> (GARM's status text).</summary>
    public string InstanceStatus { get; init; } = "pending_create";

    public string? ProviderFault { get; init; }

    /// <summary>JSON object: addresses and OS details the provider reported.</summary>
    public string ProviderDetails { get; init; } = "{}";

    public int CreateAttempts { get; init; }

    /// <summary>SHA-256 of the agent's per-instance token.</summary>
    public byte[]? AgentTokenHash { get; init; }

    public DateTimeOffset? ReadyAt { get; init; }

    /// <summary>The AI task this workspace runs (A21), with <see cref="TaskName"/>; both or neither.</summary>
    public Guid? TaskId { get; init; }

    public string? TaskName { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
