using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>The outcome of a hard-limit reset: the preset before and after.</summary>
public sealed record PresetReset(PresetRow Before, PresetRow After);

/// <summary>Presets: read with their template, parameters and schedules; the operator's reset of the failure limit.</summary>
public sealed class PresetCatalog(NpgsqlDataSource dataSource)
{
    public async Task<PresetDetails?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT p.*, t.id AS template_id, t.name AS template_name, tv.name AS version_name, t.active_version_id
            FROM presets p
            JOIN template_versions tv ON tv.id = p.template_version_id
            JOIN templates t ON t.id = tv.template_id
            WHERE p.id = @id;
            SELECT * FROM preset_parameters WHERE preset_id = @id ORDER BY name;
            SELECT * FROM preset_prebuild_schedules WHERE preset_id = @id ORDER BY id;
            """,
            new { id },
            cancellationToken: cancellationToken));
        var preset = await grid.ReadSingleOrDefaultAsync<PresetWithTemplateRow>();
        var parameters = (await grid.ReadAsync<PresetParameterRow>()).ToList();
        var schedules = (await grid.ReadAsync<PresetPrebuildScheduleRow>()).ToList();
        return preset is null
            ? null
            : new PresetDetails(preset, preset.TemplateId, preset.TemplateName, preset.VersionName, parameters, schedules, preset.OnActiveVersion);
    }

    /// <summary>
    /// Clears the hard limit: status back to healthy and <c>failure_limit_reset_at = now()</c>, so failures before the
    /// reset no longer count and a later limit is a new episode (new notifications). Audited, in one transaction.
    /// </summary>
    public Task<PresetReset> ResetHardLimitAsync(Guid id, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<PresetRow>(new CommandDefinition(
                "SELECT * FROM presets WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken))
                ?? throw new CatalogNotFoundException($"preset {id} not found");
            var after = await connection.QuerySingleAsync<PresetRow>(new CommandDefinition(
                "UPDATE presets SET prebuild_status = 'healthy', failure_limit_reset_at = now() WHERE id = @id RETURNING *",
                new { id },
                transaction,
                cancellationToken: cancellationToken));
            var organizationId = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition(
                "SELECT t.organization_id FROM template_versions tv JOIN templates t ON t.id = tv.template_id WHERE tv.id = @versionId",
                new { versionId = after.TemplateVersionId },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(
                connection, transaction, AuditAction.Reset, AuditResourceType.Preset, id, after.Name, organizationId,
                new { before.PrebuildStatus, before.FailureLimitResetAt }, new { after.PrebuildStatus, after.FailureLimitResetAt }, cancellationToken);
            return new PresetReset(before, after);
        }, cancellationToken);

    /// <summary>
    /// Manual invalidation: <c>last_invalidated_at = now()</c>, so every prebuild created before it counts as expired and
    /// the next pass replaces them (B10). Audited, in one transaction; returns the preset after the change.
    /// </summary>
    public Task<PresetRow> InvalidateAsync(Guid id, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<PresetRow>(new CommandDefinition(
                "SELECT * FROM presets WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken))
                ?? throw new CatalogNotFoundException($"preset {id} not found");
            var after = await connection.QuerySingleAsync<PresetRow>(new CommandDefinition(
                "UPDATE presets SET last_invalidated_at = now() WHERE id = @id RETURNING *", new { id }, transaction, cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(
                connection, transaction, AuditAction.Write, AuditResourceType.Preset, id, after.Name, null,
                new { before.LastInvalidatedAt }, new { after.LastInvalidatedAt }, cancellationToken);
            return after;
        }, cancellationToken);
}
