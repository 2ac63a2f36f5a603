using Lifecycle.Activities.Store;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>SQL fragments shared by the reconcile queries.</summary>
internal static class PrebuildSql
{
    /// <summary>The latest build of workspace <c>w</c> with its job status (Coder's <c>workspace_latest_builds</c>), as a lateral join.</summary>
    public const string LatestBuild = """
        CROSS JOIN LATERAL (
            SELECT b.id, b.build_number, b.transition, b.template_version_id, b.template_version_preset_id AS preset_id,
                   b.created_at, j.job_status
            FROM workspace_builds b
            JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE b.workspace_id = w.id
            ORDER BY b.build_number DESC
            LIMIT 1) lb
        """;

    /// <summary>
    /// The prebuilds user's id as a literal, not a parameter: the planner then matches the partial index
    /// <c>workspaces_unclaimed_prebuilds_idx</c> in every plan, generic or custom.
    /// </summary>
    public static readonly string PrebuildsUser = $"'{SystemUsers.PrebuildsUserId:D}'::uuid";
}
