using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Workspaces;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>A workspace (or unclaimed prebuild) as the API shows it: its row, its template's name and policy, and its latest build.</summary>
public sealed record WorkspaceDetails
{
    public Guid Id { get; init; }

    public Guid OrganizationId { get; init; }

    public Guid OwnerId { get; init; }

    public string OwnerName { get; init; } = "";

    public Guid TemplateId { get; init; }

    public string TemplateName { get; init; } = "";

    public Guid? PresetId { get; init; }

    public string Name { get; init; } = "";

    public bool Deleted { get; init; }

    /// <summary>Stored text of <see cref="Lifecycle.Workflows.Instances.InstanceStatus"/>.</summary>
    public string InstanceStatus { get; init; } = "";

    public string? AutostartSchedule { get; init; }

    public TimeSpan? Ttl { get; init; }

    public string AutomaticUpdates { get; init; } = "never";

    public DateTimeOffset LastUsedAt { get; init; }

    public DateTimeOffset? DormantAt { get; init; }

    public DateTimeOffset? DeletingAt { get; init; }

    public DateTimeOffset? NextStartAt { get; init; }

    public DateTimeOffset? ReadyAt { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public TimeSpan TemplateDefaultTtl { get; init; }

    public bool TemplateAllowUserAutostart { get; init; }

    public bool TemplateAllowUserAutostop { get; init; }

    public short TemplateAutostartAllowedDays { get; init; }

    public int? BuildNumber { get; init; }

    public string? BuildTransition { get; init; }

    /// <summary>The build's job status (stored text of <see cref="Lifecycle.Workflows.Workspaces.BuildStatus"/>).</summary>
    public string? BuildStatus { get; init; }

    public string? BuildReason { get; init; }

    public Guid? BuildInitiatorId { get; init; }

    public Guid? BuildTemplateVersionId { get; init; }

    public DateTimeOffset? BuildDeadline { get; init; }

    public DateTimeOffset? BuildMaxDeadline { get; init; }

    public DateTimeOffset? BuildCreatedAt { get; init; }

    public DateTimeOffset? BuildCompletedAt { get; init; }

    public string? BuildError { get; init; }

    /// <summary>The AI task the workspace was created for (spec A21); null for an ordinary workspace.</summary>
    public Guid? TaskId { get; init; }

    public string? TaskName { get; init; }

    /// <summary>An unclaimed prebuild: the lifecycle rules and the workspace routes leave it to the reconciler.</summary>
    public bool IsPrebuild => OwnerId == SystemUsers.PrebuildsUserId;

    /// <summary>The template's schedule policy as far as a user's schedule request is checked against it.</summary>
    public TemplateSchedulePolicy SchedulePolicy => new()
    {
        DefaultTtl = TemplateDefaultTtl,
        AllowUserAutostart = TemplateAllowUserAutostart,
        AllowUserAutostop = TemplateAllowUserAutostop,
        AutostartAllowedDays = (Weekdays)TemplateAutostartAllowedDays,
    };
}

/// <summary>
/// Workspace reads for the API. Writes to a workspace go through its Instance workflow (signals and updates), never
/// through here: the workflow owns the row.
/// </summary>
public sealed class WorkspaceCatalog(NpgsqlDataSource dataSource)
{
    private const string DetailsSql = """
        SELECT w.id, w.organization_id, w.owner_id, u.username AS owner_name, w.template_id, t.name AS template_name,
               w.preset_id, w.name, w.deleted, w.instance_status, w.autostart_schedule, w.ttl, w.automatic_updates,
               w.last_used_at, w.dormant_at, w.deleting_at, w.next_start_at, w.ready_at, w.created_at, w.updated_at,
               t.default_ttl AS template_default_ttl, t.allow_user_autostart AS template_allow_user_autostart,
               t.allow_user_autostop AS template_allow_user_autostop,
               t.autostart_allowed_days AS template_autostart_allowed_days,
               b.build_number, b.transition AS build_transition, j.job_status AS build_status, b.reason AS build_reason,
               b.initiator_id AS build_initiator_id, b.template_version_id AS build_template_version_id,
               b.deadline AS build_deadline, b.max_deadline AS build_max_deadline, b.created_at AS build_created_at,
               j.completed_at AS build_completed_at, nullif(j.error, '') AS build_error, w.task_id, w.task_name
        FROM workspaces w
        JOIN users u ON u.id = w.owner_id
        JOIN templates t ON t.id = w.template_id
        LEFT JOIN LATERAL (
            SELECT * FROM workspace_builds wb WHERE wb.workspace_id = w.id ORDER BY wb.build_number DESC LIMIT 1
        ) b ON true
        LEFT JOIN provisioner_jobs j ON j.id = b.job_id
        WHERE w.id = @id
        """;

    /// <summary>The workspace with its latest build, or null when there is no such instance.</summary>
    public async Task<WorkspaceDetails?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        StoreDataSource.ConfigureDapper();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WorkspaceDetails>(new CommandDefinition(DetailsSql, new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>The ids of the user's workspaces that are not deleted, for the owner-status-changed fan-out.</summary>
    public async Task<IReadOnlyList<Guid>> LiveIdsOfOwnerAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM workspaces WHERE owner_id = @ownerId AND NOT deleted ORDER BY id",
            new { ownerId },
            cancellationToken: cancellationToken))).ToList();
    }
}
