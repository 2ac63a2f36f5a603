namespace Lifecycle.Activities.Store.Rows;

/// <summary>A row of <c>notifications</c>, the outbox: written with the change it reports, delivered afterwards.</summary>
public sealed record NotificationRow
{
    public Guid Id { get; init; }

    public string DedupeKey { get; init; } = "";

    public string Template { get; init; } = "";

    public Guid RecipientId { get; init; }

    /// <summary>JSON object of label name to text.</summary>
    public string Labels { get; init; } = "{}";

    /// <summary>JSON object of extra data.</summary>
    public string Data { get; init; } = "{}";

    public Guid[] Targets { get; init; } = [];

    public string CreatedBy { get; init; } = "";

    /// <summary>Stored text of <see cref="NotificationStatus"/>.</summary>
    public string Status { get; init; } = "pending";

    public int Attempts { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? SentAt { get; init; }
}

/// <summary>A row of <c>audit_log</c>.</summary>
public sealed record AuditLogRow
{
    public long Id { get; init; }

    public DateTimeOffset Time { get; init; }

    public Guid? UserId { get; init; }

    public Guid? OrganizationId { get; init; }

    /// <summary>Stored text of <see cref="AuditAction"/>.</summary>
    public string Action { get; init; } = "";

    /// <summary>Stored text of <see cref="AuditResourceType"/>.</summary>
    public string ResourceType { get; init; } = "";

    public Guid ResourceId { get; init; }

    public string ResourceTarget { get; init; } = "";

    public string? OldValue { get; init; }

    public string? NewValue { get; init; }

    public int StatusCode { get; init; }

    public string AdditionalFields { get; init; } = "{}";

    public string? IdempotencyKey { get; init; }
}

/// <summary>The single row of <c>global_settings</c>.</summary>
public sealed record GlobalSettingsRow
{
    public bool Id { get; init; } = true;

    public bool ReconciliationPaused { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
