using Dapper;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// Cancels a preset's pending initial builds on a non-active version (spec B26) in one transaction: each such job is
/// canceled (canceled_at = completed_at = now), and its instance gets a delete build whose job completes at once with no
/// worker, and is marked deleted. Running jobs, later builds, delete builds and users' workspaces are never touched.
/// </summary>
public static class PendingPrebuildCancellation
{
    private static readonly string Sql = $"""
        WITH canceled AS (
            UPDATE provisioner_jobs j
            SET canceled_at = now(), completed_at = now(), updated_at = now()
            FROM workspace_builds b, workspaces w, templates t
            WHERE b.job_id = j.id
              AND w.id = b.workspace_id
              AND t.id = w.template_id
              AND b.template_version_preset_id = @preset_id
              AND b.build_number = 1
              AND b.transition = 'start'
              AND b.template_version_id IS DISTINCT FROM t.active_version_id
              AND w.owner_id = {PrebuildSql.PrebuildsUser}
              AND NOT w.deleted
              AND j.started_at IS NULL AND j.worker_id IS NULL AND j.canceled_at IS NULL AND j.completed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM workspace_builds later WHERE later.workspace_id = w.id AND later.build_number > 1)
            RETURNING w.id AS workspace_id, w.organization_id, b.template_version_id, b.template_version_preset_id,
                      gen_random_uuid() AS job_id, gen_random_uuid() AS build_id),
        jobs AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id, completed_at)
            SELECT c.job_id, c.organization_id, 'workspace_build', {PrebuildSql.PrebuildsUser}, now()
            FROM canceled c
            RETURNING id),
        builds AS (
            INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                          transition, reason, initiator_id, job_id, is_prebuild)
            SELECT c.build_id, c.workspace_id, 2, c.template_version_id, c.template_version_preset_id, 'delete',
                   'initiator', {PrebuildSql.PrebuildsUser}, jobs.id, true
            FROM canceled c JOIN jobs ON jobs.id = c.job_id
            RETURNING workspace_id),
        deleted AS (
            UPDATE workspaces w
            SET deleted = true, instance_status = 'deleted', updated_at = now()
            FROM builds
            WHERE w.id = builds.workspace_id
            RETURNING w.id)
        SELECT id FROM deleted ORDER BY id
        """;

    /// <summary>Cancels and deletes; returns the instances it deleted (none on a repeat).</summary>
    public static async Task<IReadOnlyList<Guid>> CancelAsync(NpgsqlDataSource dataSource, Guid presetId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = (await connection.QueryAsync<Guid>(new CommandDefinition(
            Sql, new { preset_id = presetId }, transaction, cancellationToken: cancellationToken))).ToList();
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }
}
