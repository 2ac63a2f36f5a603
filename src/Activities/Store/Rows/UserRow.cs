namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>users</c>.</summary>
public sealed record UserRow
{
    public Guid Id { get; init; }

    public string Username { get; init; } = "";

    public string? Email { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Workspaces.OwnerStatus"/>: active, dormant or suspended.</summary>
    public string Status { get; init; } = "active";

    /// <summary>Members of <see cref="UserRoles"/>.</summary>
    public string[] Roles { get; init; } = [];

    public bool IsSystem { get; init; }

    /// <summary>Cron text of the user's quiet hours; null means the deployment default.</summary>
    public string? QuietHoursSchedule { get; init; }

    public DateTimeOffset? LastSeenAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
