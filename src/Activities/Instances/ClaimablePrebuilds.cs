using Dapper;
using Lifecycle.Activities.Store;
using Npgsql;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The prebuilds a claim may take (spec B30): of the preset, on the template's active version, ready and running,
/// unclaimed and not deleted, template not deleted; oldest ready first. Reads the partial index of unclaimed prebuilds.
/// A listed prebuild may be gone by the time it is claimed: the Instance workflow's <c>claim</c> update decides.
/// </summary>
public static class ClaimablePrebuilds
{
    private static readonly string ListSql = $"""
        SELECT w.id
        FROM workspaces w
        JOIN presets p ON p.id = w.preset_id
        JOIN templates t ON t.id = w.template_id
        WHERE w.preset_id = @preset_id
          AND w.owner_id = '{SystemUsers.PrebuildsUserId}' AND NOT w.deleted
          AND w.ready_at IS NOT NULL AND w.instance_status = 'running'
          AND p.template_version_id = t.active_version_id AND NOT t.deleted
        ORDER BY w.ready_at, w.id
        LIMIT @limit
        """;

    /// <summary>Up to <paramref name="limit"/> claimable prebuild ids, oldest ready first.</summary>
    public static async Task<IReadOnlyList<Guid>> ListAsync(NpgsqlDataSource dataSource, Guid presetId, int limit = 20, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition(ListSql, new { preset_id = presetId, limit }, cancellationToken: cancellationToken));
        return [.. ids];
    }
}
