using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Lifecycle.Activities.Store;

/// <summary>
/// Applies the SQL migrations embedded from <c>Store/Migrations/NNNN_name.sql</c> with DbUp, in name order, each in
/// its own transaction, journaled in <c>schema_migrations</c>: applying twice is a no-op. Hosts starting at once
/// serialise on an advisory lock so only one of them migrates.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>The DbUp journal table.</summary>
    public const string JournalTable = "schema_migrations";

    private const string ResourcePrefix = "Lifecycle.Activities.Store.Migrations.";

    // Arbitrary, fixed: the advisory lock key every Lifecycle process takes around migrations.
    private const long MigrationLockKey = 0x4c69666563796331;

    /// <summary>The names of the embedded migration scripts, in the order they apply.</summary>
    public static IReadOnlyList<string> ScriptNames { get; } = ActivitiesAssembly.Assembly.GetManifestResourceNames()
        .Where(IsMigration)
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Applies every migration not yet applied; returns the names of the scripts it ran.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            var engine = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(ActivitiesAssembly.Assembly, IsMigration)
                .JournalToPostgresqlTable("public", JournalTable)
                .WithTransactionPerScript()
                .LogTo(new UpgradeLog(logger))
                .Build();
            var result = await Task.Run(engine.PerformUpgrade, cancellationToken);
            if (!result.Successful)
            {
                var script = result.ErrorScript?.Name ?? "(unknown script)";
                throw new StoreStartupException($"database migration {script} failed: {FirstLine(result.Error?.Message)}", result.Error!);
            }
            var applied = result.Scripts.Select(s => s.Name).ToArray();
            if (applied.Length > 0)
            {
                logger.LogInformation("database migrated: applied {Scripts}", string.Join(", ", applied));
            }
            return applied;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static bool IsMigration(string resourceName) =>
        resourceName.StartsWith(ResourcePrefix, StringComparison.Ordinal) && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    private static string FirstLine(string? text) => (text ?? "unknown error").Split('\n')[0].Trim();

    /// <summary>DbUp's progress goes to our logger: script names at Information, the rest at Debug.</summary>
    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace("{DbUp}", Format(format, args));

        public void LogDebug(string format, params object[] args) => logger.LogDebug("{DbUp}", Format(format, args));

        public void LogInformation(string format, params object[] args) => logger.LogDebug("{DbUp}", Format(format, args));

        public void LogWarning(string format, params object[] args) => logger.LogWarning("{DbUp}", Format(format, args));

        public void LogError(string format, params object[] args) => logger.LogError("{DbUp}", Format(format, args));

        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "{DbUp}", Format(format, args));

        private static string Format(string format, object[] args) =>
            args.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
    }
}
