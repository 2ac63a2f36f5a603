using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Testing.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>The migrations apply to an empty database, and applying them again changes nothing.</summary>
public sealed class MigrationTests : IAsyncLifetime
{
    private static readonly string[] DomainTables =
    [
        "audit_log", "global_settings", "notifications", "organization_members", "organizations", "prebuild_events",
        "preset_parameters", "preset_prebuild_schedules", "presets", "provisioner_jobs", "schema_migrations",
        "template_versions", "templates", "users", "workspace_builds", "workspaces",
    ];

    private readonly string name = $"lifecycle_migrate_{Guid.NewGuid():N}"[..30];
    private PostgresServer server = null!;

    public async Task InitializeAsync()
    {
        server = await PostgresServer.GetAsync();
        await server.CreateEmptyDatabaseAsync(name);
    }

    public Task DisposeAsync() => server.DropDatabaseAsync(name);

    [Fact]
    public async Task Apply_to_an_empty_database_then_reapply_as_a_no_op()
    {
        var connectionString = server.ConnectionString(name);

        var first = await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        var schemaAfterFirst = await SchemaFingerprintAsync(connectionString);
        var second = await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        var schemaAfterSecond = await SchemaFingerprintAsync(connectionString);

        Assert.Equal(SchemaMigrator.ScriptNames, first);
        Assert.NotEmpty(first);
        Assert.Empty(second);
        Assert.Equal(schemaAfterFirst, schemaAfterSecond);

        await using var connection = new NpgsqlConnection(connectionString);
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).ToArray();
        Assert.Equal(DomainTables, tables);
        var journal = await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {SchemaMigrator.JournalTable}");
        Assert.Equal(SchemaMigrator.ScriptNames.Count, journal);
    }

    [Fact]
    public async Task The_schema_creates_the_prebuilds_user_and_the_settings_row_once()
    {
        var connectionString = server.ConnectionString(name);
        await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);
        await SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance);

        await using var connection = new NpgsqlConnection(connectionString);
        var prebuilds = await connection.QuerySingleAsync<(Guid Id, string Username, bool IsSystem)>(
            "SELECT id, username, is_system FROM users WHERE username = @name", new { name = SystemUsers.PrebuildsUsername });
        var settings = await connection.QuerySingleAsync<(long Rows, bool Paused)>(
            "SELECT count(*), bool_or(reconciliation_paused) FROM global_settings");

        Assert.Equal(SystemUsers.PrebuildsUserId, prebuilds.Id);
        Assert.True(prebuilds.IsSystem);
        Assert.Equal((1L, false), settings);
    }

    [Fact]
    public async Task Hosts_migrating_at_once_apply_each_script_exactly_once()
    {
        var connectionString = server.ConnectionString(name);

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SchemaMigrator.MigrateAsync(connectionString, NullLogger.Instance)));

        Assert.Equal(SchemaMigrator.ScriptNames.Count, runs.Sum(r => r.Count));
    }

    private static async Task<string> SchemaFingerprintAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var columns = await connection.QueryAsync<string>("""
            SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1
            """);
        var constraints = await connection.QueryAsync<string>(
            "SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1");
        var indexes = await connection.QueryAsync<string>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1");
        return string.Join('\n', columns.Concat(constraints).Concat(indexes));
    }
}
