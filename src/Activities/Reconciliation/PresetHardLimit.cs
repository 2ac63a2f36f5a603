using Dapper;
using Lifecycle.Workflows.Prebuilds;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// Marks a preset hard-limited and, in the same transaction, enqueues one <c>prebuild_hard_limited</c> notification per
/// template admin keyed <c>{episode key}:{admin}</c>: a crash after the commit, a retried activity or a later pass finds
/// the status set and the keys taken, so each admin is told exactly once per limit episode.
/// </summary>
public static class PresetHardLimit
{
    /// <summary>The notification kind written to the outbox.</summary>
    public const string NotificationTemplate = "prebuild_hard_limited";

    private const string Sql = $"""
        WITH preset AS (
            SELECT p.id, p.name, tv.id AS version_id, tv.name AS version_name, t.id AS template_id,
                   t.name AS template_name, o.id AS organization_id, o.name AS organization_name
            FROM presets p
            JOIN template_versions tv ON tv.id = p.template_version_id
            JOIN templates t ON t.id = tv.template_id
            JOIN organizations o ON o.id = t.organization_id
            WHERE p.id = @preset_id),
        marked AS (
            UPDATE presets SET prebuild_status = 'hard_limited'
            WHERE id = @preset_id AND prebuild_status <> 'hard_limited'
            RETURNING id),
        notified AS (
            INSERT INTO notifications (dedupe_key, template, recipient_id, labels, targets, created_by)
            SELECT @key || ':' || u.id, '{NotificationTemplate}', u.id,
                   jsonb_build_object('org', p.organization_name, 'template', p.template_name,
                                      'template_version', p.version_name, 'preset', p.name),
                   ARRAY[p.template_id, p.version_id, p.id, p.organization_id],
                   'prebuilds_reconciler'
            FROM users u CROSS JOIN preset p
            WHERE 'template-admin' = ANY (u.roles) AND NOT u.is_system AND u.status <> 'suspended'
            ORDER BY u.id
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id)
        SELECT (SELECT count(*) FROM preset)::int AS found,
               (SELECT count(*) FROM marked)::int AS marked,
               (SELECT count(*) FROM notified)::int AS notified
        """;

    /// <summary>Marks and notifies; says whether this call changed the status and how many messages it enqueued.</summary>
    public static async Task<(bool Marked, int Notified)> MarkAsync(NpgsqlDataSource dataSource, Guid presetId, string notificationKey, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(notificationKey))
            throw new ArgumentException("NotificationKey: must identify the hard-limit episode", nameof(notificationKey));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QuerySingleOrDefaultAsync<EpisodeRow>(new CommandDefinition(
            "SELECT id, failure_limit_reset_at FROM presets WHERE id = @preset_id FOR UPDATE",
            new { preset_id = presetId },
            transaction,
            cancellationToken: cancellationToken)) ?? throw new PrebuildPresetMissingException(presetId);
        // An operator reset since the snapshot starts a new episode: the stale decision must neither re-mark the
        // preset nor notify under the old episode's key.
        var currentKey = PresetReconciliation.HardLimitNotificationKey(new PrebuildPreset
        {
            Id = presetId,
            TemplateId = Guid.Empty,
            TemplateVersionId = Guid.Empty,
            FailureLimitResetAt = current.FailureLimitResetAt,
        });
        if (currentKey != notificationKey)
            return (false, 0);

        var row = await connection.QuerySingleAsync<ResultRow>(new CommandDefinition(
            Sql, new { preset_id = presetId, key = notificationKey }, transaction, cancellationToken: cancellationToken));
        if (row.Found == 0)
            throw new PrebuildPresetMissingException(presetId);
        await transaction.CommitAsync(cancellationToken);
        return (row.Marked > 0, row.Notified);
    }

    private sealed class EpisodeRow
    {
        public Guid Id { get; init; }

        public DateTimeOffset? FailureLimitResetAt { get; init; }
    }

    private sealed class ResultRow
    {
        public int Found { get; init; }

        public int Marked { get; init; }

        public int Notified { get; init; }
    }
}
