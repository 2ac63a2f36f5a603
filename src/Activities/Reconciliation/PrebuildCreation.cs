using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Lifecycle.Workflows.Reconciliation;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// Inserts prebuilds (spec B24) with <see cref="FirstBuildInsert"/>: the instance row owned by the prebuilds user, its
/// first <c>start</c> build (a prebuild build) on the template's active version with the preset's parameters, and that
/// build's pending job — all in one transaction, keyed by <see cref="PrebuildCreationKey"/> so a retry inserts nothing
/// twice.
/// </summary>
public static class PrebuildCreation
{
    private const string PresetSql = """
        SELECT p.*, t.id AS template_id, t.organization_id, t.active_version_id, t.deleted AS template_deleted,
               t.deprecated <> '' AS template_deprecated, t.provider_name, t.bootstrap_timeout
        FROM presets p
        JOIN template_versions tv ON tv.id = p.template_version_id
        JOIN templates t ON t.id = tv.template_id
        WHERE p.id = @preset_id
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
        var preset = await connection.QuerySingleOrDefaultAsync<PresetWithTemplateRow>(new CommandDefinition(
            PresetSql, new { preset_id = request.PresetId }, transaction, cancellationToken: cancellationToken))
            ?? throw new PrebuildPresetMissingException(request.PresetId);

        if (Refusal(preset) is { } refusal)
            return new InsertPrebuildsResult([], $"preset {request.PresetId}: {refusal}");

        var keys = Enumerable.Range(request.FirstIndex, request.Count)
            .Select(index => new PrebuildCreationKey(request.PassId, request.PresetId, index))
            .ToList();
        var owner = new FirstBuildOwner(
            preset.OrganizationId, preset.TemplateId, preset.Id, preset.TemplateVersionId, preset.ProviderName,
            SystemUsers.PrebuildsUserId, IsPrebuild: true);
        var inserted = await FirstBuildInsert.InsertAsync(
            connection,
            transaction,
            owner,
            [.. keys.Select(k => new FirstBuildKey(k.InstanceId, k.InstanceName, k.InstanceName, k.JobId, k.BuildId))],
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        return new InsertPrebuildsResult(
        [
            .. keys.Select(k => new PrebuildInstance(
                k.InstanceId,
                k.InstanceName,
                preset.ProviderName,
                preset.Id,
                preset.TemplateId,
                preset.BootstrapTimeout,
                inserted.Contains(k.InstanceId))),
        ]);
    }

    private static string? Refusal(PresetWithTemplateRow preset)
    {
        if (preset.DesiredInstances is null)
            return "has no prebuild configuration any more";
        if (preset.TemplateDeleted)
            return "its template is deleted";
        if (preset.TemplateDeprecated)
            return "its template is deprecated";
        if (!preset.OnActiveVersion)
            return $"its version {preset.TemplateVersionId} is not the template's active version {preset.ActiveVersionId?.ToString() ?? "(none)"}";
        return null;
    }
}

/// <summary>A reconcile action named a preset the store does not have: retrying cannot help.</summary>
public sealed class PrebuildPresetMissingException(Guid presetId)
    : InvalidOperationException($"preset {presetId}: not found (deleted since the snapshot?)")
{
    /// <summary>The missing preset.</summary>
    public Guid PresetId { get; } = presetId;
}
