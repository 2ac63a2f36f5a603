using Dapper;
using Lifecycle.Workflows.Reconciliation;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// Inserts prebuilds (spec B24): the instance row owned by the prebuilds user, its first <c>start</c> build on the
/// template's active version with the preset's parameters, and that build's pending job — all in one transaction, keyed
/// by <see cref="PrebuildCreationKey"/> so a retry inserts nothing twice.
/// </summary>
public static class PrebuildCreation
{
    private const string PresetSql = """
        SELECT p.id AS preset_id, p.template_version_id, t.id AS template_id, t.organization_id, t.active_version_id,
               t.deleted AS template_deleted, t.deprecated <> '' AS template_deprecated, t.provider_name,
               t.bootstrap_timeout, p.desired_instances
        FROM presets p
        JOIN template_versions tv ON tv.id = p.template_version_id
        JOIN templates t ON t.id = tv.template_id
        WHERE p.id = @preset_id
        """;

    private static readonly string InsertSql = $"""
        INSERT INTO organization_members (organization_id, user_id)
        VALUES (@organization_id, {PrebuildSql.PrebuildsUser})
        ON CONFLICT DO NOTHING;

        WITH input AS (
            SELECT * FROM unnest(@ids, @names, @job_ids, @build_ids) AS i(id, name, job_id, build_id)),
        instances AS (
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name,
                                    automatic_updates, provider_name, last_used_at)
            SELECT i.id, @organization_id, {PrebuildSql.PrebuildsUser}, @template_id, @preset_id, i.name, i.name,
                   'never', @provider_name, now()
            FROM input i
            ON CONFLICT (id) DO NOTHING
            RETURNING id),
        jobs AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id)
            SELECT i.job_id, @organization_id, 'workspace_build', {PrebuildSql.PrebuildsUser}
            FROM input i JOIN instances USING (id)
            RETURNING id),
        builds AS (
            INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                          transition, reason, initiator_id, job_id, is_prebuild, parameters)
            SELECT i.build_id, i.id, 1, @version_id, @preset_id, 'start', 'initiator', {PrebuildSql.PrebuildsUser},
                   i.job_id, true,
                   (SELECT coalesce(jsonb_object_agg(pp.name, pp.value), jsonb_build_object())
                    FROM preset_parameters pp WHERE pp.preset_id = @preset_id)
            FROM input i JOIN jobs ON jobs.id = i.job_id
            RETURNING workspace_id)
        SELECT workspace_id FROM builds;
        """;

    /// <summary>Inserts the prebuilds of the request's keys; refuses (inserting nothing) when the preset can no longer have prebuilds.</summary>
    public static async Task<InsertPrebuildsResult> InsertAsync(NpgsqlDataSource dataSource, InsertPrebuildsRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Count <= 0)
            return new InsertPrebuildsResult([]);
        if (string.IsNullOrWhiteSpace(request.PassId))
            throw new ArgumentException("PassId: must name the reconciliation pass", nameof(request));

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var preset = await connection.QuerySingleOrDefaultAsync<PresetRow>(new CommandDefinition(
            PresetSql, new { preset_id = request.PresetId }, transaction, cancellationToken: cancellationToken))
            ?? throw new PrebuildPresetMissingException(request.PresetId);

        if (Refusal(preset) is { } refusal)
            return new InsertPrebuildsResult([], $"preset {request.PresetId}: {refusal}");

        var keys = Enumerable.Range(request.FirstIndex, request.Count)
            .Select(index => new PrebuildCreationKey(request.PassId, request.PresetId, index))
            .ToList();
        var inserted = (await connection.QueryAsync<Guid>(new CommandDefinition(
            InsertSql,
            new
            {
                ids = keys.Select(k => k.InstanceId).ToArray(),
                names = keys.Select(k => k.InstanceName).ToArray(),
                job_ids = keys.Select(k => k.JobId).ToArray(),
                build_ids = keys.Select(k => k.BuildId).ToArray(),
                organization_id = preset.OrganizationId,
                template_id = preset.TemplateId,
                preset_id = preset.PresetId,
                version_id = preset.ActiveVersionId,
                provider_name = preset.ProviderName,
            },
            transaction,
            cancellationToken: cancellationToken))).ToHashSet();
        await transaction.CommitAsync(cancellationToken);

        return new InsertPrebuildsResult(
        [
            .. keys.Select(k => new PrebuildInstance(
                k.InstanceId,
                k.InstanceName,
                preset.ProviderName,
                preset.PresetId,
                preset.TemplateId,
                preset.BootstrapTimeout,
                inserted.Contains(k.InstanceId))),
        ]);
    }

    private static string? Refusal(PresetRow preset)
    {
        if (preset.DesiredInstances is null)
            return "has no prebuild configuration any more";
        if (preset.TemplateDeleted)
            return "its template is deleted";
        if (preset.TemplateDeprecated)
            return "its template is deprecated";
        if (preset.ActiveVersionId != preset.TemplateVersionId)
            return $"its version {preset.TemplateVersionId} is not the template's active version {preset.ActiveVersionId?.ToString() ?? "(none)"}";
        return null;
    }

    private sealed class PresetRow
    {
        public Guid PresetId { get; init; }

        public Guid TemplateVersionId { get; init; }

        public Guid TemplateId { get; init; }

        public Guid OrganizationId { get; init; }

        public Guid? ActiveVersionId { get; init; }

        public bool TemplateDeleted { get; init; }

        public bool TemplateDeprecated { get; init; }

        public string ProviderName { get; init; } = "";

        public TimeSpan BootstrapTimeout { get; init; }

        public int? DesiredInstances { get; init; }
    }
}

/// <summary>A reconcile action named a preset the store does not have: retrying cannot help.</summary>
public sealed class PrebuildPresetMissingException(Guid presetId)
    : InvalidOperationException($"preset {presetId}: not found (deleted since the snapshot?)")
{
    /// <summary>The missing preset.</summary>
    public Guid PresetId { get; } = presetId;
}
