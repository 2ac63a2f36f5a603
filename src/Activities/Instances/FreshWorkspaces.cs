using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Workspaces;
using Npgsql;

namespace Lifecycle.Activities.Instances;

/// <summary>What a claim or a fresh workspace is made from: the preset with its template, and the would-be owner.</summary>
public sealed record ClaimTarget
{
    public Guid PresetId { get; init; }

    public Guid TemplateVersionId { get; init; }

    public Guid TemplateId { get; init; }

    public Guid OrganizationId { get; init; }

    public Guid? ActiveVersionId { get; init; }

    public bool TemplateDeleted { get; init; }

    public string ProviderName { get; init; } = "";

    public TimeSpan BootstrapTimeout { get; init; }

    public TimeSpan DefaultTtl { get; init; }

    public bool AllowUserAutostart { get; init; }

    public bool AllowUserAutostop { get; init; }

    public short AutostartAllowedDays { get; init; }

    /// <summary>The template's schedule policy, for validating a requested schedule and TTL.</summary>
    public TemplateSchedulePolicy Policy => ClaimActivities.Policy(DefaultTtl, AllowUserAutostart, AllowUserAutostop, AutostartAllowedDays);
}

/// <summary>The would-be owner of a claimed or fresh workspace.</summary>
public sealed record ClaimOwner(Guid Id, string Status, bool IsSystem, bool HasWorkspaceNamed);

/// <summary>A workspace made fresh for its owner because no prebuild was claimable (spec B30's fallback).</summary>
public sealed record FreshWorkspace(
    Guid InstanceId, string Name, string InstanceName, Guid OwnerId, Guid PresetId, Guid TemplateId, string ProviderName,
    TimeSpan BootstrapTimeout, string? AutostartSchedule, TimeSpan? Ttl, DateTimeOffset? NextStartAt);

/// <summary>
/// Reads what a claim needs and creates a workspace from scratch with <see cref="FirstBuildInsert"/>, the insert the
/// reconciler's prebuild creation uses (instance row, first <c>start</c> build with the preset's parameters, its
/// pending job), owned and initiated by the user, not marked as a prebuild, with the schedule fields of the request —
/// and its audit entry — in one transaction.
/// </summary>
public static class FreshWorkspaces
{
    private const string TargetSql = """
        SELECT p.id AS preset_id, p.template_version_id, t.id AS template_id, t.organization_id, t.active_version_id,
               t.deleted AS template_deleted, t.provider_name, t.bootstrap_timeout, t.default_ttl, t.allow_user_autostart,
               t.allow_user_autostop, t.autostart_allowed_days
        FROM presets p
        JOIN template_versions tv ON tv.id = p.template_version_id
        JOIN templates t ON t.id = tv.template_id
        WHERE p.id = @preset_id
        """;

    private const string OwnerSql = """
        SELECT u.id, u.status, u.is_system,
               EXISTS (SELECT 1 FROM workspaces w WHERE w.owner_id = u.id AND lower(w.name) = lower(@name) AND NOT w.deleted) AS has_workspace_named
        FROM users u WHERE u.id = @owner_id
        """;

    // The AI task the workspace is made for (spec A21), in the insert's transaction.
    private const string TaskSql = "UPDATE workspaces SET task_id = @task_id, task_name = @task_name WHERE id = @id";

    // A claim request that found no claimable prebuild (spec B16's misses_ windows), recorded with the workspace it made.
    private const string MissSql = "INSERT INTO prebuild_events (preset_id, kind) VALUES (@preset_id, 'claim_missed')";

    private const string AuditSql = """
        INSERT INTO audit_log (user_id, organization_id, action, resource_type, resource_id, resource_target, new_value,
                               status_code, additional_fields)
        VALUES (@owner_id, @organization_id, 'create', 'workspace', @id, @name, @new_value::jsonb, 200, @additional::jsonb);
        """;

    /// <summary>The preset and its template, or null when there is no such preset.</summary>
    public static async Task<ClaimTarget?> ReadTargetAsync(NpgsqlDataSource dataSource, Guid presetId, CancellationToken cancellationToken = default)
    {
        StoreDataSource.ConfigureDapper();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClaimTarget>(new CommandDefinition(TargetSql, new { preset_id = presetId }, cancellationToken: cancellationToken));
    }

    /// <summary>The user, and whether they already have a live workspace of <paramref name="name"/>; null when unknown.</summary>
    public static async Task<ClaimOwner?> ReadOwnerAsync(NpgsqlDataSource dataSource, Guid ownerId, string name, CancellationToken cancellationToken = default)
    {
        StoreDataSource.ConfigureDapper();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClaimOwner>(new CommandDefinition(OwnerSql, new { owner_id = ownerId, name }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Inserts the workspace; returns null when the owner took the name meanwhile (the unique index decides).
    /// <paramref name="settings"/> are the request's schedule fields, already validated against the template;
    /// <paramref name="task"/> links it to the AI task it is made for (spec A21). A task already linked to a live
    /// workspace is a <see cref="CatalogConflictException"/> on <c>task_id</c>.
    /// </summary>
    public static Task<FreshWorkspace?> InsertAsync(
        NpgsqlDataSource dataSource, ClaimTarget target, Guid ownerId, string name, WorkspaceSettings settings, WorkspaceTask? task = null, CancellationToken cancellationToken = default) =>
        InsertAsync(dataSource, target, ownerId, name, settings, task, claimMissed: false, cancellationToken);

    /// <summary>
    /// As <see cref="InsertAsync(NpgsqlDataSource, ClaimTarget, Guid, string, WorkspaceSettings, WorkspaceTask?, CancellationToken)"/>
    /// for a claim's fallback: a <c>claim_missed</c> prebuild event is written in the same transaction, so a miss
    /// counts (spec B16's <c>misses_</c> windows) exactly when its workspace exists.
    /// </summary>
    public static Task<FreshWorkspace?> InsertAfterMissAsync(
        NpgsqlDataSource dataSource, ClaimTarget target, Guid ownerId, string name, WorkspaceSettings settings, CancellationToken cancellationToken = default) =>
        InsertAsync(dataSource, target, ownerId, name, settings, task: null, claimMissed: true, cancellationToken);

    private static async Task<FreshWorkspace?> InsertAsync(
        NpgsqlDataSource dataSource, ClaimTarget target, Guid ownerId, string name, WorkspaceSettings settings, WorkspaceTask? task, bool claimMissed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(settings);
        StoreDataSource.ConfigureDapper();
        var id = Guid.CreateVersion7();
        var workspace = new FreshWorkspace(
            id, name, $"ws-{id:N}", ownerId, target.PresetId, target.TemplateId, target.ProviderName, target.BootstrapTimeout,
            settings.AutostartSchedule, settings.Ttl, settings.NextStartAt);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            var owner = new FirstBuildOwner(
                target.OrganizationId, target.TemplateId, target.PresetId, target.TemplateVersionId, target.ProviderName, ownerId,
                IsPrebuild: false, settings.AutostartSchedule, settings.Ttl, settings.NextStartAt);
            await FirstBuildInsert.InsertAsync(
                connection, transaction, owner, [new FirstBuildKey(id, name, workspace.InstanceName, Guid.CreateVersion7(), Guid.CreateVersion7())], cancellationToken);
            if (task is not null)
                await connection.ExecuteAsync(new CommandDefinition(TaskSql, new { id, task_id = task.Id, task_name = task.Name }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                AuditSql,
                new
                {
                    id,
                    organization_id = target.OrganizationId,
                    owner_id = ownerId,
                    name,
                    new_value = JsonSerializer.Serialize(new { owner_id = ownerId, name, preset_id = target.PresetId, autostart_schedule = settings.AutostartSchedule, ttl_ms = (long?)settings.Ttl?.TotalMilliseconds, task_id = task?.Id, task_name = task?.Name }),
                    additional = JsonSerializer.Serialize(new { via = "api", claimed_from_prebuild = false }),
                },
                transaction,
                cancellationToken: cancellationToken));
            if (claimMissed)
                await connection.ExecuteAsync(new CommandDefinition(MissSql, new { preset_id = target.PresetId }, transaction, cancellationToken: cancellationToken));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "workspaces_owner_id_name_key")
        {
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "workspaces_task_id_key")
        {
            throw new CatalogConflictException("task_id", $"task {task!.Id} already has a live workspace");
        }
        await transaction.CommitAsync(cancellationToken);
        return workspace;
    }
}
