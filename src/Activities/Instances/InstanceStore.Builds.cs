using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The build and provisioner-job rows behind an instance's state changes — what the prebuild reconciler counts as
/// in progress, running, failed (backoff and hard limit) or deleting. Ids are derived from the instance id and the
/// build number, and every insert ignores a conflict, so a replayed transition writes nothing twice.
/// </summary>
public sealed partial class InstanceStore
{
    private const string FirstStartBuildSql = """
        WITH src AS (
            SELECT w.id, w.organization_id, w.owner_id, w.preset_id,
                   coalesce(p.template_version_id, t.active_version_id) AS template_version_id,
                   coalesce((SELECT jsonb_object_agg(pp.name, pp.value) FROM preset_parameters pp WHERE pp.preset_id = w.preset_id), '{}'::jsonb) AS parameters
            FROM workspaces w
            JOIN templates t ON t.id = w.template_id
            LEFT JOIN presets p ON p.id = w.preset_id
            WHERE w.id = @Id
              AND coalesce(p.template_version_id, t.active_version_id) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM workspace_builds b WHERE b.workspace_id = w.id)
        ), job AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id)
            SELECT md5(src.id::text || '/job/1')::uuid, src.organization_id, 'workspace_build', src.owner_id FROM src
            ON CONFLICT (id) DO NOTHING
            RETURNING id
        )
        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                      transition, reason, initiator_id, job_id, is_prebuild, parameters)
        SELECT md5(src.id::text || '/build/1')::uuid, src.id, 1, src.template_version_id, src.preset_id,
               'start', 'initiator', src.owner_id, job.id, src.owner_id = @PrebuildsUser, src.parameters
        FROM src CROSS JOIN job
        ON CONFLICT DO NOTHING
        """;

    private const string DeleteBuildSql = """
        WITH latest AS (
            SELECT b.build_number, b.transition, b.template_version_id, j.job_status
            FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id WHERE b.workspace_id = @Id
            ORDER BY b.build_number DESC LIMIT 1
        ), src AS (
            -- After a failed delete (given up until the lifecycle rules retry it), a new delete is a new build.
            SELECT w.id, w.organization_id, w.owner_id, w.preset_id, latest.template_version_id,
                   latest.build_number + 1 AS build_number
            FROM workspaces w CROSS JOIN latest
            WHERE w.id = @Id AND (latest.transition <> 'delete' OR latest.job_status = 'failed')
        ), canceled AS (
            -- A start still in flight when the delete begins did not fail: it is canceled, so it never counts against the preset.
            UPDATE provisioner_jobs j
            SET canceled_at = coalesce(@At::timestamptz, now()), completed_at = coalesce(@At::timestamptz, now()), updated_at = now()
            FROM workspace_builds b
            WHERE b.workspace_id = @Id AND b.job_id = j.id AND j.completed_at IS NULL AND EXISTS (SELECT 1 FROM src)
            RETURNING j.id
        ), job AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id, created_at)
            SELECT md5(src.id::text || '/job/' || src.build_number)::uuid, src.organization_id, 'workspace_build', src.owner_id,
                   coalesce(@At::timestamptz, now()) FROM src
            ON CONFLICT (id) DO NOTHING
            RETURNING id
        )
        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                      transition, reason, initiator_id, job_id, is_prebuild, created_at)
        SELECT md5(src.id::text || '/build/' || src.build_number)::uuid, src.id, src.build_number, src.template_version_id,
               src.preset_id, 'delete', coalesce(@Reason::text, 'initiator'), src.owner_id, job.id, src.owner_id = @PrebuildsUser,
               coalesce(@At::timestamptz, now())
        FROM src CROSS JOIN job
        ON CONFLICT DO NOTHING
        """;

    // The latest build's job, when that build is of the given transition.
    private const string LatestJobFilter = """
        FROM (SELECT b.job_id, b.transition FROM workspace_builds b WHERE b.workspace_id = @Id ORDER BY b.build_number DESC LIMIT 1) latest
        WHERE j.id = latest.job_id AND latest.transition = @Transition
        """;

    private const string JobStartedSql = $"""
        UPDATE provisioner_jobs j
        SET started_at = coalesce(j.started_at, @At::timestamptz, now()), worker_id = coalesce(j.worker_id, @Worker), updated_at = now()
        {LatestJobFilter} AND j.completed_at IS NULL
        """;

    private const string JobSucceededSql = $"""
        UPDATE provisioner_jobs j
        SET started_at = coalesce(j.started_at, @At::timestamptz, now()), worker_id = coalesce(j.worker_id, @Worker),
            completed_at = coalesce(@At::timestamptz, now()), updated_at = now()
        {LatestJobFilter} AND j.completed_at IS NULL
        """;

    // A create given up after it had succeeded (never ready in time) still counts as one failed prebuild.
    private const string JobFailedSql = $"""
        UPDATE provisioner_jobs j
        SET started_at = coalesce(j.started_at, @At::timestamptz, now()), worker_id = coalesce(j.worker_id, @Worker),
            completed_at = coalesce(j.completed_at, @At::timestamptz, now()), error = @Error, updated_at = now()
        {LatestJobFilter} AND coalesce(j.error, '') = '' AND j.canceled_at IS NULL
        """;

    private static async Task WriteBuildRowsAsync(DbConnection connection, DbTransaction tx, InstanceTransition transition, string workerId, CancellationToken cancellationToken)
    {
        var id = transition.InstanceId;
        var at = transition.At;
        var reason = transition.Reason?.ToStoredText();
        await ExecuteAsync(connection, tx, FirstStartBuildSql, new { Id = id, PrebuildsUser = SystemUsers.PrebuildsUserId }, cancellationToken);
        switch (transition.To)
        {
            case InstanceStatus.Creating:
                await ExecuteAsync(connection, tx, JobStartedSql, new { Id = id, Transition = "start", Worker = workerId, At = at }, cancellationToken);
                break;
            case InstanceStatus.Running:
                await ExecuteAsync(connection, tx, JobSucceededSql, new { Id = id, Transition = "start", Worker = workerId, At = at }, cancellationToken);
                break;
            case InstanceStatus.Error when transition.CreateGivenUp:
                var error = string.IsNullOrWhiteSpace(transition.Fault) ? "instance given up" : transition.Fault;
                await ExecuteAsync(connection, tx, JobFailedSql, new { Id = id, Transition = "start", Worker = workerId, Error = error, At = at }, cancellationToken);
                break;
            case InstanceStatus.Error when transition.DeleteFailed:
                var deleteError = string.IsNullOrWhiteSpace(transition.Fault) ? "delete failed" : transition.Fault;
                await ExecuteAsync(connection, tx, JobFailedSql, new { Id = id, Transition = "delete", Worker = workerId, Error = deleteError, At = at }, cancellationToken);
                break;
            case InstanceStatus.PendingDelete or InstanceStatus.PendingForceDelete:
                await ExecuteAsync(connection, tx, DeleteBuildSql, new { Id = id, PrebuildsUser = SystemUsers.PrebuildsUserId, At = at, Reason = reason }, cancellationToken);
                break;
            case InstanceStatus.Deleting:
                await ExecuteAsync(connection, tx, DeleteBuildSql, new { Id = id, PrebuildsUser = SystemUsers.PrebuildsUserId, At = at, Reason = reason }, cancellationToken);
                await ExecuteAsync(connection, tx, JobStartedSql, new { Id = id, Transition = "delete", Worker = workerId, At = at }, cancellationToken);
                break;
            case InstanceStatus.Deleted:
                await ExecuteAsync(connection, tx, DeleteBuildSql, new { Id = id, PrebuildsUser = SystemUsers.PrebuildsUserId, At = at, Reason = reason }, cancellationToken);
                await ExecuteAsync(connection, tx, JobSucceededSql, new { Id = id, Transition = "delete", Worker = workerId, At = at }, cancellationToken);
                break;
            default:
                break;
        }
    }

    private static async Task AuditAsync(DbConnection connection, DbTransaction tx, ChangedRow row, InstanceStatus from, InstanceTransition transition, CancellationToken cancellationToken)
    {
        var oldValue = new Dictionary<string, object?> { ["instance_status"] = from.ToText() };
        var newValue = new Dictionary<string, object?>
        {
            ["instance_status"] = transition.To.ToText(),
            ["provider_id"] = transition.ProviderId ?? row.ProviderId,
            ["create_attempt"] = transition.CreateAttempt,
            ["ready"] = transition.Ready,
            ["provider_fault"] = transition.Fault,
        };
        var extra = new Dictionary<string, object?>
        {
            ["instance_name"] = row.InstanceName,
            ["forced"] = transition.Forced,
            ["create_given_up"] = transition.CreateGivenUp,
        };
        await ExecuteAsync(
            connection,
            tx,
            """
            INSERT INTO audit_log (user_id, organization_id, action, resource_type, resource_id, resource_target,
                                   old_value, new_value, status_code, additional_fields)
            VALUES (@UserId, @OrganizationId, @Action, 'workspace', @Id, @Target, @Old::jsonb, @New::jsonb, 200, @Extra::jsonb)
            """,
            new
            {
                UserId = row.OwnerId,
                row.OrganizationId,
                Action = transition.To == InstanceStatus.Deleted ? "delete" : "write",
                Id = transition.InstanceId,
                Target = row.InstanceName,
                Old = JsonSerializer.Serialize(oldValue),
                New = JsonSerializer.Serialize(newValue),
                Extra = JsonSerializer.Serialize(extra),
            },
            cancellationToken);
    }

    private static Task<int> ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, object parameters, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: cancellationToken));
}
