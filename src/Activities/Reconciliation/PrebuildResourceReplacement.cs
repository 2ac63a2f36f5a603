using System.Text.Json;
using Dapper;
using Lifecycle.Workflows.Prebuilds;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>What one recording did, with the labels to count it under.</summary>
public sealed record ResourceReplacementRecord(bool Counted, int Notified, PresetLabels Labels);

/// <summary>
/// Records that a claimed prebuild's build replaced resources (spec B32), in one transaction: an audit entry keyed
/// <c>resource-replaced/{instance}</c> — the once-per-claim guard — and, only when that entry is new, one
/// <c>prebuilt_workspace_resource_replaced</c> notification per template admin with Coder's labels and the replaced
/// attribute paths. A retried activity, a crash after the commit or a second report of the claim changes nothing.
/// </summary>
public static class PrebuildResourceReplacement
{
    /// <summary>The notification kind written to the outbox.</summary>
    public const string NotificationTemplate = "prebuilt_workspace_resource_replaced";

    private static readonly string Sql = $"""
        WITH ws AS (
            SELECT w.id, w.name, w.owner_id, u.username AS claimant, t.organization_id, o.name AS organization_name,
                   t.id AS template_id, t.name AS template_name, lb.template_version_id AS version_id,
                   tv.name AS version_name, p.id AS preset_id, p.name AS preset_name, lb.build_number
            FROM workspaces w
            JOIN users u ON u.id = w.owner_id
            JOIN templates t ON t.id = w.template_id
            JOIN organizations o ON o.id = t.organization_id
            JOIN presets p ON p.id = w.preset_id
            {PrebuildSql.LatestBuild}
            JOIN template_versions tv ON tv.id = lb.template_version_id
            WHERE w.id = @id
              AND w.owner_id <> {PrebuildSql.PrebuildsUser}
              AND EXISTS (SELECT 1 FROM workspace_builds b WHERE b.workspace_id = w.id AND b.build_number = 1 AND b.is_prebuild)),
        audit AS (
            INSERT INTO audit_log (user_id, organization_id, action, resource_type, resource_id, resource_target,
                                   status_code, additional_fields, idempotency_key)
            SELECT ws.owner_id, ws.organization_id, 'write', 'workspace', ws.id, ws.name, 200,
                   jsonb_build_object('resource_replacements', @replacements::jsonb, 'preset_id', ws.preset_id),
                   'resource-replaced/' || ws.id::text
            FROM ws
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id),
        notified AS (
            INSERT INTO notifications (dedupe_key, template, recipient_id, labels, data, targets, created_by)
            SELECT 'prebuild-resource-replaced:' || ws.id::text || ':' || u.id::text, '{NotificationTemplate}', u.id,
                   jsonb_build_object('org', ws.organization_name, 'workspace', ws.name, 'template', ws.template_name,
                                      'template_version', ws.version_name, 'preset', ws.preset_name,
                                      'workspace_build_num', ws.build_number::text, 'claimant', ws.claimant),
                   jsonb_build_object('replacements', @replacements::jsonb),
                   ARRAY[ws.id, ws.owner_id, ws.template_id, ws.version_id, ws.preset_id, ws.organization_id],
                   'prebuilds_reconciler'
            FROM ws CROSS JOIN users u
            WHERE EXISTS (SELECT 1 FROM audit)
              AND 'template-admin' = ANY (u.roles) AND NOT u.is_system AND u.status <> 'suspended'
            ORDER BY u.id
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id)
        SELECT (SELECT count(*) FROM ws)::int AS found,
               (SELECT count(*) FROM audit)::int AS counted,
               (SELECT count(*) FROM notified)::int AS notified,
               coalesce((SELECT template_name FROM ws), '') AS template_name,
               coalesce((SELECT preset_name FROM ws), '') AS preset_name,
               coalesce((SELECT organization_name FROM ws), '') AS organization_name
        """;

    /// <summary>Records the report; says whether this call counted the claim and how many messages it enqueued.</summary>
    public static async Task<ResourceReplacementRecord> RecordAsync(NpgsqlDataSource dataSource, ResourceReplacementReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var replacements = report.Replacements
            .Where(r => !string.IsNullOrWhiteSpace(r.Key))
            .ToDictionary(r => r.Key, r => string.Join(',', r.Value), StringComparer.Ordinal);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<ResultRow>(new CommandDefinition(
            Sql,
            new { id = report.InstanceId, replacements = JsonSerializer.Serialize(replacements) },
            transaction,
            cancellationToken: cancellationToken));
        if (row.Found == 0)
            throw new ResourceReplacementTargetException(report.InstanceId);
        if (replacements.Count == 0)
            return new ResourceReplacementRecord(false, 0, row.Labels); // nothing replaced: nothing to count (rolled back)
        await transaction.CommitAsync(cancellationToken);
        return new ResourceReplacementRecord(row.Counted > 0, row.Notified, row.Labels);
    }

    private sealed class ResultRow
    {
        public int Found { get; init; }

        public int Counted { get; init; }

        public int Notified { get; init; }

        public string TemplateName { get; init; } = "";

        public string PresetName { get; init; } = "";

        public string OrganizationName { get; init; } = "";

        public PresetLabels Labels => new(TemplateName, PresetName, OrganizationName);
    }
}

/// <summary>A replacement was reported for an instance that is not a claimed prebuild: retrying cannot help.</summary>
public sealed class ResourceReplacementTargetException(Guid instanceId)
    : InvalidOperationException($"instance {instanceId}: not a claimed prebuild (unknown, still unclaimed, or created for its owner): no resource replacement to track")
{
    /// <summary>The instance named by the report.</summary>
    public Guid InstanceId { get; } = instanceId;
}
