using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>A template with its versions (newest first), as the API shows it.</summary>
public sealed record TemplateDetails(TemplateRow Template, IReadOnlyList<TemplateVersionRow> Versions);

/// <summary>A template row before and after an update.</summary>
public sealed record TemplateChange(TemplateRow Before, TemplateRow After);

/// <summary>
/// Templates and their scheduling policy. Inputs arrive validated (field rules live with the API's request types);
/// this checks what only the database knows — the organization exists, the name is free, the template is not deleted —
/// and writes each change with its audit entry in one transaction.
/// </summary>
public sealed class TemplateCatalog(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        organization_id, name, display_name, provider_name, deprecated, require_active_version, default_ttl, activity_bump,
        allow_user_autostart, allow_user_autostop, autostart_allowed_days, autostop_requirement_days_of_week,
        autostop_requirement_weeks, failure_ttl, time_til_dormant, time_til_dormant_autodelete, time_til_autostop_notify,
        bootstrap_timeout
        """;

    /// <summary>Creates a template (no versions yet); its <see cref="TemplateRow.Id"/> is assigned here.</summary>
    public Task<TemplateRow> CreateAsync(TemplateRow template, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var organization = await connection.QuerySingleOrDefaultAsync<OrganizationRow>(new CommandDefinition(
                "SELECT * FROM organizations WHERE id = @id FOR SHARE", new { id = template.OrganizationId }, transaction, cancellationToken: cancellationToken))
                ?? throw new CatalogInputException("organization_id", $"no organization with id {template.OrganizationId}");
            await EnsureNameFreeAsync(connection, transaction, template.OrganizationId, template.Name, except: null, cancellationToken);
            var row = await connection.QuerySingleAsync<TemplateRow>(new CommandDefinition(
                $"""
                INSERT INTO templates (id, {Columns})
                VALUES (@Id, @OrganizationId, @Name, @DisplayName, @ProviderName, @Deprecated, @RequireActiveVersion, @DefaultTtl, @ActivityBump,
                        @AllowUserAutostart, @AllowUserAutostop, @AutostartAllowedDays, @AutostopRequirementDaysOfWeek,
                        @AutostopRequirementWeeks, @FailureTtl, @TimeTilDormant, @TimeTilDormantAutodelete, @TimeTilAutostopNotify,
                        @BootstrapTimeout)
                RETURNING *
                """,
                template with { Id = Guid.NewGuid() },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(
                connection, transaction, AuditAction.Create, AuditResourceType.Template, row.Id, $"{organization.Name}/{row.Name}", row.OrganizationId, null, row, cancellationToken);
            return row;
        }, cancellationToken);

    /// <summary>
    /// Changes a live template: <paramref name="apply"/> gets the locked current row and returns the new one (it may
    /// throw <see cref="CatalogInputException"/> to refuse; nothing is written then). Policy, deprecation, deletion and
    /// the active version are the columns written; ids, organization and creation time never change.
    /// </summary>
    public Task<TemplateChange> UpdateAsync(Guid id, Func<TemplateRow, TemplateRow> apply, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var before = await LockLiveAsync(connection, transaction, id, cancellationToken);
            var wanted = apply(before) with { Id = before.Id, OrganizationId = before.OrganizationId, CreatedAt = before.CreatedAt };
            if (!string.Equals(wanted.Name, before.Name, StringComparison.OrdinalIgnoreCase) && !wanted.Deleted)
                await EnsureNameFreeAsync(connection, transaction, before.OrganizationId, wanted.Name, except: id, cancellationToken);
            if (wanted.ActiveVersionId != before.ActiveVersionId)
            {
                var belongs = wanted.ActiveVersionId is { } versionId && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT EXISTS (SELECT 1 FROM template_versions WHERE id = @versionId AND template_id = @id)",
                    new { versionId, id },
                    transaction,
                    cancellationToken: cancellationToken));
                if (!belongs)
                    throw new CatalogInputException("active_version_id", $"{wanted.ActiveVersionId?.ToString() ?? "null"} is not a version of template {id}");
            }

            var after = await connection.QuerySingleAsync<TemplateRow>(new CommandDefinition(
                """
                UPDATE templates SET
                    name = @Name, display_name = @DisplayName, provider_name = @ProviderName, active_version_id = @ActiveVersionId,
                    deleted = @Deleted, deprecated = @Deprecated, require_active_version = @RequireActiveVersion,
                    default_ttl = @DefaultTtl, activity_bump = @ActivityBump, allow_user_autostart = @AllowUserAutostart,
                    allow_user_autostop = @AllowUserAutostop, autostart_allowed_days = @AutostartAllowedDays,
                    autostop_requirement_days_of_week = @AutostopRequirementDaysOfWeek,
                    autostop_requirement_weeks = @AutostopRequirementWeeks, failure_ttl = @FailureTtl,
                    time_til_dormant = @TimeTilDormant, time_til_dormant_autodelete = @TimeTilDormantAutodelete,
                    time_til_autostop_notify = @TimeTilAutostopNotify, bootstrap_timeout = @BootstrapTimeout, updated_at = now()
                WHERE id = @Id
                RETURNING *
                """,
                wanted,
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(
                connection,
                transaction,
                after.Deleted ? AuditAction.Delete : AuditAction.Write,
                AuditResourceType.Template,
                after.Id,
                after.Name,
                after.OrganizationId,
                before,
                after,
                cancellationToken);
            return new TemplateChange(before, after);
        }, cancellationToken);

    /// <summary>
    /// Adds a version with its presets, their parameters and prebuild schedules; makes it the active version when
    /// asked, and always when the template has none yet (a template's first version is the only one it could run).
    /// </summary>
    public Task<TemplateVersionCreated> CreateVersionAsync(Guid templateId, NewTemplateVersion version, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var template = await LockLiveAsync(connection, transaction, templateId, cancellationToken);
            var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM template_versions WHERE template_id = @templateId AND name = @name)",
                new { templateId, name = version.Name },
                transaction,
                cancellationToken: cancellationToken));
            if (taken)
                throw new CatalogConflictException("name", $"template {template.Name} already has a version named \"{version.Name}\"");

            var row = await connection.QuerySingleAsync<TemplateVersionRow>(new CommandDefinition(
                """
                INSERT INTO template_versions (id, template_id, name, message, provider_image, provider_flavor, provider_extra_specs)
                VALUES (@id, @templateId, @Name, @Message, @ProviderImage, @ProviderFlavor, @ProviderExtraSpecs::jsonb)
                RETURNING *
                """,
                new { id = Guid.NewGuid(), templateId, version.Name, version.Message, version.ProviderImage, version.ProviderFlavor, version.ProviderExtraSpecs },
                transaction,
                cancellationToken: cancellationToken));

            var presets = new List<PresetDetails>(version.Presets.Count);
            foreach (var preset in version.Presets)
            {
                var presetRow = await connection.QuerySingleAsync<PresetRow>(new CommandDefinition(
                    """
                    INSERT INTO presets (id, template_version_id, name, desired_instances, invalidate_after_secs, scheduling_timezone, target_expression)
                    VALUES (@id, @versionId, @Name, @DesiredInstances, @InvalidateAfterSecs, @SchedulingTimezone, @TargetExpression)
                    RETURNING *
                    """,
                    new { id = Guid.NewGuid(), versionId = row.Id, preset.Name, preset.DesiredInstances, preset.InvalidateAfterSecs, preset.SchedulingTimezone, preset.TargetExpression },
                    transaction,
                    cancellationToken: cancellationToken));
                var parameters = preset.Parameters.Select(p => new PresetParameterRow { PresetId = presetRow.Id, Name = p.Key, Value = p.Value }).ToList();
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO preset_parameters (preset_id, name, value) VALUES (@PresetId, @Name, @Value)", parameters, transaction, cancellationToken: cancellationToken));
                var schedules = preset.Schedules.Select(s => new PresetPrebuildScheduleRow
                {
                    Id = Guid.NewGuid(),
                    PresetId = presetRow.Id,
                    CronExpression = s.CronExpression,
                    DesiredInstances = s.DesiredInstances,
                }).ToList();
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO preset_prebuild_schedules (id, preset_id, cron_expression, desired_instances) VALUES (@Id, @PresetId, @CronExpression, @DesiredInstances)",
                    schedules,
                    transaction,
                    cancellationToken: cancellationToken));
                presets.Add(new PresetDetails(presetRow, template.Id, template.Name, row.Name, parameters, schedules, template.ActiveVersionId == row.Id));
            }

            var activated = version.Activate || template.ActiveVersionId is null;
            if (activated)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE templates SET active_version_id = @versionId, updated_at = now() WHERE id = @templateId",
                    new { versionId = row.Id, templateId },
                    transaction,
                    cancellationToken: cancellationToken));
                presets = [.. presets.Select(p => p with { OnActiveVersion = true })];
            }

            await CatalogWrite.AuditAsync(
                connection, transaction, AuditAction.Create, AuditResourceType.TemplateVersion, row.Id, $"{template.Name}@{row.Name}", template.OrganizationId, null,
                new { version = row, presets = presets.Select(p => p.Preset), activated },
                cancellationToken);
            return new TemplateVersionCreated(row, presets, activated);
        }, cancellationToken);

    /// <summary>The template and its versions, deleted or not; null when there is no such template.</summary>
    public async Task<TemplateDetails?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT * FROM templates WHERE id = @id;
            SELECT * FROM template_versions WHERE template_id = @id ORDER BY created_at DESC, id;
            """,
            new { id },
            cancellationToken: cancellationToken));
        var template = await grid.ReadSingleOrDefaultAsync<TemplateRow>();
        var versions = (await grid.ReadAsync<TemplateVersionRow>()).ToList();
        return template is null ? null : new TemplateDetails(template, versions);
    }

    /// <summary>Ids of the template's live workspaces that users own (claimed prebuilds and fresh workspaces; never unclaimed prebuilds).</summary>
    public async Task<IReadOnlyList<Guid>> ClaimedWorkspaceIdsAsync(Guid templateId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM workspaces WHERE template_id = @templateId AND NOT deleted AND owner_id <> @prebuilds ORDER BY id",
            new { templateId, prebuilds = SystemUsers.PrebuildsUserId },
            cancellationToken: cancellationToken))).ToList();
    }

    private static async Task<TemplateRow> LockLiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<TemplateRow>(new CommandDefinition(
            "SELECT * FROM templates WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken))
            ?? throw new CatalogNotFoundException($"template {id} not found");
        return row.Deleted ? throw new CatalogNotFoundException($"template {id} ({row.Name}) is deleted") : row;
    }

    private static async Task EnsureNameFreeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid organizationId, string name, Guid? except, CancellationToken cancellationToken)
    {
        var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM templates WHERE organization_id = @organizationId AND lower(name) = lower(@name) AND NOT deleted AND id IS DISTINCT FROM @except)",
            new { organizationId, name, except },
            transaction,
            cancellationToken: cancellationToken));
        if (taken)
            throw new CatalogConflictException("name", $"the organization already has a template named \"{name}\"");
    }
}
