using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>The single global settings row; the reconciler's snapshot reads <c>reconciliation_paused</c> from it.</summary>
public sealed class GlobalSettingsStore(NpgsqlDataSource dataSource)
{
    /// <summary>The id audit entries about the settings row carry (the row has no uuid of its own).</summary>
    public static readonly Guid AuditResourceId = Guid.Empty;

    public async Task<GlobalSettingsRow> GetAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<GlobalSettingsRow>(new CommandDefinition("SELECT * FROM global_settings", cancellationToken: cancellationToken));
    }

    /// <summary>Pauses or resumes prebuild reconciliation (B3), audited; the next pass reads the new value.</summary>
    public Task<GlobalSettingsRow> SetReconciliationPausedAsync(bool paused, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var before = await connection.QuerySingleAsync<GlobalSettingsRow>(new CommandDefinition(
                "SELECT * FROM global_settings FOR UPDATE", transaction: transaction, cancellationToken: cancellationToken));
            var after = await connection.QuerySingleAsync<GlobalSettingsRow>(new CommandDefinition(
                "UPDATE global_settings SET reconciliation_paused = @paused, updated_at = now() RETURNING *",
                new { paused },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(
                connection, transaction, AuditAction.Write, AuditResourceType.Settings, AuditResourceId, "reconciliation", null,
                new { before.ReconciliationPaused }, new { after.ReconciliationPaused }, cancellationToken);
            return after;
        }, cancellationToken);
}
