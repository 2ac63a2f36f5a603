using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Npgsql;

namespace Lifecycle.Activities.Workspaces;

/// <summary>
/// The workspace rows as the Instance workflow's workspace phase reads and changes them: one query for the rules'
/// facts, one transaction per build step or change. Build and job ids derive from the instance id and the build
/// number (as the instance store's do), inserts ignore conflicts and audit entries carry idempotency keys, so a retried
/// call writes nothing twice. Times come from the workflow's clock, never the database's.
/// </summary>
public sealed class WorkspaceStore
{
    private const string LoadSql = """
        SELECT w.name, w.owner_id, w.organization_id, w.template_id, w.deleted, w.instance_status,
               w.autostart_schedule, w.ttl, w.last_used_at, w.dormant_at, w.deleting_at, w.next_start_at, w.automatic_updates,
               u.status AS owner_status, u.quiet_hours_schedule, w.owner_id = @Prebuilds AS is_prebuild,
               t.default_ttl, t.activity_bump, t.allow_user_autostart, t.allow_user_autostop, t.autostart_allowed_days,
               t.autostop_requirement_days_of_week, t.autostop_requirement_weeks, t.failure_ttl, t.time_til_dormant,
               t.time_til_dormant_autodelete, t.time_til_autostop_notify, t.require_active_version, t.active_version_id,
               av.name AS active_version_name, av.message AS active_version_message,
               b.build_number, b.transition, b.reason, b.created_at AS build_created_at, b.deadline, b.max_deadline,
               b.notified_autostop_deadline, b.template_version_id, j.job_status, j.completed_at, j.canceled_at,
               w.task_id, w.task_name
        FROM workspaces w
        JOIN users u ON u.id = w.owner_id
        JOIN templates t ON t.id = w.template_id
        LEFT JOIN template_versions av ON av.id = t.active_version_id
        LEFT JOIN LATERAL (
            SELECT * FROM workspace_builds lb WHERE lb.workspace_id = w.id ORDER BY lb.build_number DESC LIMIT 1) b ON true
        LEFT JOIN provisioner_jobs j ON j.id = b.job_id
        WHERE w.id = @Id
        """;

    private const string LatestForBuildSql = """
        SELECT w.organization_id, w.owner_id, w.name, t.active_version_id,
               b.build_number, b.template_version_id, b.template_version_preset_id, b.parameters::text AS parameters,
               p.name AS preset_name
        FROM workspaces w
        JOIN templates t ON t.id = w.template_id
        LEFT JOIN LATERAL (
            SELECT * FROM workspace_builds lb WHERE lb.workspace_id = w.id ORDER BY lb.build_number DESC LIMIT 1) b ON true
        LEFT JOIN presets p ON p.id = b.template_version_preset_id
        WHERE w.id = @Id
        FOR UPDATE OF w
        """;

    private const string InsertBuildSql = """
        INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id, worker_id, created_at, updated_at, started_at)
        VALUES (md5(@Id::text || '/job/' || @BuildNumber)::uuid, @OrganizationId, 'workspace_build', @InitiatorId, @Worker, @At, @At, @At)
        ON CONFLICT (id) DO NOTHING;

        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                      transition, reason, initiator_id, job_id, is_prebuild, parameters, created_at, updated_at)
        VALUES (md5(@Id::text || '/build/' || @BuildNumber)::uuid, @Id, @BuildNumber, @VersionId, @PresetId, @Transition, @Reason, @InitiatorId,
                md5(@Id::text || '/job/' || @BuildNumber)::uuid, false,
                @Parameters::jsonb, @At, @At)
        ON CONFLICT DO NOTHING;
        """;

    private const string AuditSql = """
        INSERT INTO audit_log (time, user_id, organization_id, action, resource_type, resource_id, resource_target,
                               new_value, status_code, additional_fields, idempotency_key)
        SELECT @At, @UserId, w.organization_id, @Action, 'workspace', w.id, w.name, @New::jsonb, 200, @Extra::jsonb, @Key
        FROM workspaces w WHERE w.id = @Id
        ON CONFLICT (idempotency_key) DO NOTHING
        """;

    private const string NoticeSql = """
        INSERT INTO notifications (dedupe_key, template, recipient_id, labels, targets, created_by, created_at, updated_at)
        VALUES (@DedupeKey, @Kind, @RecipientId, @Labels::jsonb, @Targets, 'lifecycle', @At, @At)
        ON CONFLICT (dedupe_key) DO NOTHING
        """;

    private readonly NpgsqlDataSource dataSource;

    /// <summary>A store over the process's shared data source.</summary>
    public WorkspaceStore(NpgsqlDataSource dataSource)
    {
        StoreDataSource.ConfigureDapper();
        this.dataSource = dataSource;
    }

    /// <summary>The workspace as the rules see it, or null when the row is gone.</summary>
    public async Task<WorkspaceSnapshot?> LoadAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<FactsRow>(new CommandDefinition(
            LoadSql, new { Id = instanceId, Prebuilds = SystemUsers.PrebuildsUserId }, cancellationToken: cancellationToken));
        return row?.ToSnapshot();
    }

    /// <summary>Writes build <see cref="WorkspaceBuildBegin.BuildNumber"/>; a repeat (the build exists) writes nothing.</summary>
    public async Task<WorkspaceBuildBegun> BeginBuildAsync(WorkspaceBuildBegin request, string workerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var existing = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "SELECT template_version_id FROM workspace_builds WHERE workspace_id = @InstanceId AND build_number = @BuildNumber",
            new { request.InstanceId, request.BuildNumber },
            tx,
            cancellationToken: cancellationToken));
        if (existing is { } version)
            return new WorkspaceBuildBegun(Written: false, version);

        var latest = await connection.QuerySingleOrDefaultAsync<LatestRow>(new CommandDefinition(
            LatestForBuildSql, new { Id = request.InstanceId }, tx, cancellationToken: cancellationToken));
        if (latest?.TemplateVersionId is not { } latestVersion)
            return new WorkspaceBuildBegun(false, Guid.Empty, $"workspace {request.InstanceId}: not in the store or has no build");
        if (latest.BuildNumber + 1 != request.BuildNumber)
            return new WorkspaceBuildBegun(false, latestVersion, $"workspace {request.InstanceId}: build {request.BuildNumber} asked for, but the latest is {latest.BuildNumber}");

        var target = await TargetVersionAsync(connection, tx, request, latest, latestVersion, cancellationToken);
        if (target.Refusal is not null)
            return new WorkspaceBuildBegun(false, latestVersion, target.Refusal);

        await connection.ExecuteAsync(new CommandDefinition(
            InsertBuildSql,
            new
            {
                Id = request.InstanceId,
                latest.OrganizationId,
                request.InitiatorId,
                Worker = workerId,
                request.At,
                request.BuildNumber,
                VersionId = target.VersionId,
                target.PresetId,
                Transition = request.Transition.ToStoredText(),
                Reason = request.Reason.ToStoredText(),
                target.Parameters,
            },
            tx,
            cancellationToken: cancellationToken));
        if (request.MarkDormant is { } dormancy)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE workspaces SET dormant_at = @DormantAt, deleting_at = @DeletingAt, updated_at = @At WHERE id = @Id",
                new { dormancy.DormantAt, dormancy.DeletingAt, request.At, Id = request.InstanceId },
                tx,
                cancellationToken: cancellationToken));
        }
        var action = request.Transition switch
        {
            BuildTransition.Start => "start",
            BuildTransition.Stop => "stop",
            _ => "delete",
        };
        await AuditAsync(connection, tx, request.InstanceId, request.At, new WorkspaceAudit(
            action,
            request.InitiatorId,
            $"build/{request.InstanceId}/{request.BuildNumber}",
            new Dictionary<string, string?>
            {
                ["build_number"] = request.BuildNumber.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["transition"] = request.Transition.ToStoredText(),
                ["reason"] = request.Reason.ToStoredText(),
                ["template_version_id"] = target.VersionId.ToString(),
                ["dormant_at"] = request.MarkDormant?.DormantAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new WorkspaceBuildBegun(true, target.VersionId)
        {
            VersionChanged = target.VersionId != latestVersion,
            VersionName = target.VersionName,
            VersionMessage = target.VersionMessage,
        };
    }

    /// <summary>Ends a build: its job completes (or fails), a start gets its deadline, the machine its status; then the notice.</summary>
    public async Task EndBuildAsync(WorkspaceBuildEnd request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            var failed = !string.IsNullOrEmpty(request.Error);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE provisioner_jobs SET started_at = coalesce(started_at, @At), completed_at = @At, error = @Error, updated_at = @At
                WHERE id = md5(@Id::text || '/job/' || @BuildNumber)::uuid AND completed_at IS NULL;

                UPDATE workspace_builds SET deadline = @Deadline, max_deadline = @MaxDeadline, updated_at = @At
                WHERE workspace_id = @Id AND build_number = @BuildNumber AND NOT @Failed;

                UPDATE workspaces
                SET instance_status = CASE WHEN @Status::text IS NULL OR instance_status IN ('pending_delete', 'pending_force_delete', 'deleting', 'deleted')
                                           THEN instance_status ELSE @Status::text END,
                    provider_fault = CASE WHEN @Failed THEN @Error ELSE NULL END,
                    next_start_at = CASE WHEN @Failed THEN next_start_at ELSE @NextStartAt END,
                    updated_at = @At
                WHERE id = @Id;
                """,
                new
                {
                    Id = request.InstanceId,
                    request.BuildNumber,
                    request.At,
                    request.Error,
                    Failed = failed,
                    request.Deadline,
                    request.MaxDeadline,
                    request.NextStartAt,
                    Status = request.Status?.ToText(),
                },
                tx,
                cancellationToken: cancellationToken));
            await tx.CommitAsync(cancellationToken);
        }
        await NotifyAsync(request.Notice, request.At, cancellationToken);
    }

    /// <summary>Writes the parts of <paramref name="change"/> that are set, in one transaction; then the notice.</summary>
    public async Task ChangeAsync(WorkspaceChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            var sets = new List<string>();
            var args = new DynamicParameters(new { Id = change.InstanceId, change.At });
            if (change.Schedule is { } schedule)
            {
                sets.Add("autostart_schedule = @Schedule, ttl = @Ttl, automatic_updates = @AutomaticUpdates");
                args.Add("Schedule", schedule.AutostartSchedule);
                args.Add("Ttl", schedule.Ttl);
                args.Add("AutomaticUpdates", schedule.AutomaticUpdates.ToStoredText());
            }
            if (change.NextStart is { } next)
            {
                sets.Add("next_start_at = @NextStartAt");
                args.Add("NextStartAt", next.At);
            }
            if (change.LastUsedAt is { } lastUsed)
            {
                sets.Add("last_used_at = greatest(last_used_at, @LastUsedAt)");
                args.Add("LastUsedAt", lastUsed);
            }
            if (change.Dormancy is { } dormancy)
            {
                sets.Add("dormant_at = @DormantAt, deleting_at = @DeletingAt");
                args.Add("DormantAt", dormancy.DormantAt);
                args.Add("DeletingAt", dormancy.DeletingAt);
            }
            if (sets.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"UPDATE workspaces SET {string.Join(", ", sets)}, updated_at = @At WHERE id = @Id", args, tx, cancellationToken: cancellationToken));
            }
            if (change.Times is { } times)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE workspace_builds SET deadline = @Deadline, max_deadline = @MaxDeadline, updated_at = @At WHERE workspace_id = @Id AND build_number = @BuildNumber",
                    new { times.Deadline, times.MaxDeadline, change.At, Id = change.InstanceId, times.BuildNumber },
                    tx,
                    cancellationToken: cancellationToken));
            }
            if (change.Reminder is { } reminder)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE workspace_builds SET notified_autostop_deadline = @Deadline, updated_at = @At WHERE workspace_id = @Id AND build_number = @BuildNumber",
                    new { reminder.Deadline, change.At, Id = change.InstanceId, reminder.BuildNumber },
                    tx,
                    cancellationToken: cancellationToken));
            }
            if (change.Audit is { } audit)
                await AuditAsync(connection, tx, change.InstanceId, change.At, audit, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        await NotifyAsync(change.Notice, change.At, cancellationToken);
    }

    private static async Task<(Guid VersionId, Guid? PresetId, string Parameters, string? VersionName, string? VersionMessage, string? Refusal)> TargetVersionAsync(
        DbConnection connection, DbTransaction tx, WorkspaceBuildBegin request, LatestRow latest, Guid latestVersion, CancellationToken cancellationToken)
    {
        var same = (latestVersion, latest.TemplateVersionPresetId, latest.Parameters ?? "{}", (string?)null, (string?)null, (string?)null);
        if (request.Transition != BuildTransition.Start || !request.UseActiveVersion || latest.ActiveVersionId is not { } active || active == latestVersion)
            return same;

        var version = await connection.QuerySingleAsync<VersionRow>(new CommandDefinition(
            "SELECT name, message FROM template_versions WHERE id = @active", new { active }, tx, cancellationToken: cancellationToken));
        if (latest.PresetName is null)
            return (active, null, latest.Parameters ?? "{}", version.Name, version.Message, null);

        // The workspace's parameters are its preset's: the new version must offer a preset of the same name.
        var preset = await connection.QuerySingleOrDefaultAsync<PresetRow>(new CommandDefinition(
            """
            SELECT p.id, coalesce((SELECT jsonb_object_agg(pp.name, pp.value) FROM preset_parameters pp WHERE pp.preset_id = p.id), '{}'::jsonb)::text AS parameters
            FROM presets p WHERE p.template_version_id = @active AND p.name = @name
            """,
            new { active, name = latest.PresetName },
            tx,
            cancellationToken: cancellationToken));
        return preset is not null
            ? (active, preset.Id, preset.Parameters, version.Name, version.Message, null)
            : (latestVersion, null, "{}", null, null,
               $"workspace {request.InstanceId}: the template's active version \"{version.Name}\" ({active}) is incompatible: it has no preset \"{latest.PresetName}\" to take the workspace's parameters from");
    }

    private static Task<int> AuditAsync(DbConnection connection, DbTransaction tx, Guid instanceId, DateTimeOffset at, WorkspaceAudit audit, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            AuditSql,
            new
            {
                Id = instanceId,
                At = at,
                audit.UserId,
                audit.Action,
                New = JsonSerializer.Serialize(audit.NewValue),
                Extra = JsonSerializer.Serialize(new { via = "lifecycle" }),
                audit.Key,
            },
            tx,
            cancellationToken: cancellationToken));

    private async Task NotifyAsync(WorkspaceNotice? notice, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (notice is null)
            return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            NoticeSql,
            new
            {
                notice.DedupeKey,
                notice.Kind,
                notice.RecipientId,
                Labels = JsonSerializer.Serialize(notice.Labels),
                Targets = notice.Targets.ToArray(),
                At = at,
            },
            cancellationToken: cancellationToken));
    }

    private sealed record VersionRow(string Name, string Message);

    private sealed record PresetRow(Guid Id, string Parameters);

    private sealed record LatestRow
    {
        public Guid OrganizationId { get; init; }

        public Guid OwnerId { get; init; }

        public string Name { get; init; } = string.Empty;

        public Guid? ActiveVersionId { get; init; }

        public int BuildNumber { get; init; }

        public Guid? TemplateVersionId { get; init; }

        public Guid? TemplateVersionPresetId { get; init; }

        public string? Parameters { get; init; }

        public string? PresetName { get; init; }
    }
}
