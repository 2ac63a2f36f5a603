namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>organizations</c>.</summary>
public sealed record OrganizationRow
{
    public Guid Id { get; init; }

    public string Name { get; init; } = "";

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A row of <c>organization_members</c>: the user belongs to the organization.</summary>
public sealed record OrganizationMemberRow
{
    public Guid OrganizationId { get; init; }

    public Guid UserId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
