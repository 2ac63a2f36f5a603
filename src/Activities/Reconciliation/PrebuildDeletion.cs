using Dapper;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>What the delete guard found for one prebuild.</summary>
public enum PrebuildDeleteOutcome
{
    /// <summary>Still unclaimed: a delete build is recorded (now, or by an earlier attempt); its workflow must be told.</summary>
    DeleteRecorded,

    /// <summary>A user owns it now: never deleted by the reconciler (spec B25, "probably claimed").</summary>
    Claimed,

    /// <summary>Deleted already, or unknown.</summary>
    Gone,
}

/// <summary>
/// The TOCTOU guard of a prebuild delete (spec B25): in one transaction, lock the instance row, re-check that the
/// prebuilds user still owns it, and record a <c>delete</c> build on the last build's version and preset. A claim locks
/// the same row and takes only prebuilds whose latest build is a start, so a prebuild is either claimed or deleted,
/// never both.
/// </summary>
public static class PrebuildDeletion
{
    private static readonly string GuardSql = $"""
        SELECT w.owner_id = {PrebuildSql.PrebuildsUser} AS unclaimed, w.deleted, w.organization_id,
               lb.build_number, lb.transition, lb.template_version_id, lb.preset_id
        FROM workspaces w
        {PrebuildSql.LatestBuild}
        WHERE w.id = @id
        FOR UPDATE OF w
        """;

    // Conditional on the owner in the same statement as well as under the row lock: a claim and this delete take the
    // same lock, and each writes only while its own condition still holds, so at most one of them ever commits.
    private static readonly string RecordSql = $"""
        WITH target AS (
            SELECT w.id FROM workspaces w
            WHERE w.id = @id AND w.owner_id = {PrebuildSql.PrebuildsUser} AND NOT w.deleted),
        job AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id)
            SELECT @job_id, @organization_id, 'workspace_build', {PrebuildSql.PrebuildsUser} FROM target
            RETURNING id)
        INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                      transition, reason, initiator_id, job_id, is_prebuild)
        SELECT @build_id, @id, @build_number, @version_id, @preset_id, 'delete', 'initiator', {PrebuildSql.PrebuildsUser},
               job.id, true
        FROM job
        """;

    /// <summary>Applies the guard to one prebuild, in its own transaction.</summary>
    public static async Task<PrebuildDeleteOutcome> RecordDeleteAsync(NpgsqlDataSource dataSource, Guid instanceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<GuardRow>(new CommandDefinition(
            GuardSql, new { id = instanceId }, transaction, cancellationToken: cancellationToken));
        if (row is null || row.Deleted)
            return PrebuildDeleteOutcome.Gone;
        if (!row.Unclaimed)
            return PrebuildDeleteOutcome.Claimed;
        if (row.Transition == "delete")
            return PrebuildDeleteOutcome.DeleteRecorded; // an earlier attempt recorded it: only the signal is left

        var recorded = await connection.ExecuteAsync(new CommandDefinition(
            RecordSql,
            new
            {
                id = instanceId,
                job_id = Guid.CreateVersion7(),
                build_id = Guid.CreateVersion7(),
                organization_id = row.OrganizationId,
                build_number = row.BuildNumber + 1,
                version_id = row.TemplateVersionId,
                preset_id = row.PresetId,
            },
            transaction,
            cancellationToken: cancellationToken));
        if (recorded == 0)
            return PrebuildDeleteOutcome.Claimed;
        await transaction.CommitAsync(cancellationToken);
        return PrebuildDeleteOutcome.DeleteRecorded;
    }

    private sealed class GuardRow
    {
        public bool Unclaimed { get; init; }

        public bool Deleted { get; init; }

        public Guid OrganizationId { get; init; }

        public int BuildNumber { get; init; }

        public string Transition { get; init; } = "";

        public Guid TemplateVersionId { get; init; }

        public Guid? PresetId { get; init; }
    }
}
