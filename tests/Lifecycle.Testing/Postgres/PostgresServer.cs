using System.Security.Cryptography;
using System.Text;
using Lifecycle.Activities;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Lifecycle.Testing.Postgres;

/// <summary>
/// The PostgreSQL server of one test run: <c>LIFECYCLE_DATABASE_URL</c> when set, otherwise a private throw-away
/// cluster started once per test process and stopped when it exits. Holds the migrated template database that every
/// test database is copied from.
/// </summary>
public sealed class PostgresServer
{
    /// <summary>Set to use an existing server (its database is used only to create and drop test databases).</summary>
    public const string DatabaseUrlVariable = "LIFECYCLE_DATABASE_URL";

    // Fixed key for the server-wide lock around template builds and copies (they need the template to be idle).
    private const long TemplateLockKey = 0x4c69666563797465;

    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static PostgresServer? shared;

    private readonly string adminConnectionString;

    private PostgresServer(string adminConnectionString, PostgresCluster? cluster)
    {
        this.adminConnectionString = adminConnectionString;
        Cluster = cluster;
        TemplateDatabase = $"lifecycle_template_{MigrationsFingerprint()}";
    }

    /// <summary>The private cluster, or null when the run uses <c>LIFECYCLE_DATABASE_URL</c>.</summary>
    public PostgresCluster? Cluster { get; }

    /// <summary>The migrated database every test database is created from; named by a hash of the migrations.</summary>
    public string TemplateDatabase { get; }

    /// <summary>The server of this test process, started (and its template migrated) on first use.</summary>
    public static async Task<PostgresServer> GetAsync()
    {
        await StartGate.WaitAsync();
        try
        {
            if (shared is null)
            {
                var server = await StartAsync();
                await server.BuildTemplateAsync();
                shared = server;
            }
            return shared;
        }
        finally
        {
            StartGate.Release();
        }
    }

    /// <summary>A connection string for any database of this server.</summary>
    public string ConnectionString(string database, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, Pooling = pooling }.ConnectionString;

    /// <summary>Creates a database as a copy of the migrated template (a file copy on the server: fast).</summary>
    public async Task CreateDatabaseFromTemplateAsync(string database)
    {
        await using var admin = await OpenLockedAdminAsync();
        await ExecuteAsync(admin, $"CREATE DATABASE \"{database}\" TEMPLATE \"{TemplateDatabase}\"");
    }

    /// <summary>Creates an empty database (no migrations), for tests of the migrations themselves.</summary>
    public async Task CreateEmptyDatabaseAsync(string database)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
    }

    /// <summary>Drops a database, closing anything still connected to it.</summary>
    public async Task DropDatabaseAsync(string database)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString(database)));
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var url = Environment.GetEnvironmentVariable(DatabaseUrlVariable);
        if (!string.IsNullOrWhiteSpace(url))
        {
            return new PostgresServer(DatabaseUrl.ToConnectionString(url), cluster: null);
        }
        var directory = Path.Combine(Path.GetTempPath(), $"lifecycle-pg-test-{Environment.ProcessId}");
        await RemoveStaleClustersAsync();
        var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { Directory = directory, Durable = false }, NullLogger.Instance);
        // The cluster belongs to this test process: stop it and remove its files when the process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            cluster.StopAsync().GetAwaiter().GetResult();
            TryDelete(directory);
        };
        return new PostgresServer(cluster.ConnectionString("postgres"), cluster);
    }

    /// <summary>
    /// Removes the clusters of test processes that are gone (killed before they could clean up): a server still
    /// running there is stopped first, so no orphan PostgreSQL outlives its test run for long.
    /// </summary>
    private static async Task RemoveStaleClustersAsync()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), "lifecycle-pg-test-*"))
        {
            var pidText = Path.GetFileName(directory)["lifecycle-pg-test-".Length..];
            if (!int.TryParse(pidText, out var pid) || pid == Environment.ProcessId || ProcessIsAlive(pid))
            {
                continue;
            }
            if (File.Exists(Path.Combine(directory, "data", "postmaster.pid")))
            {
                try
                {
                    await using var orphan = await PostgresCluster.StartAsync(new PostgresClusterOptions { Directory = directory, Durable = false }, NullLogger.Instance);
                    await orphan.StopAsync();
                }
                catch (StoreStartupException)
                {
                    continue;
                }
            }
            TryDelete(directory);
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A short hash of every migration script, so a changed migration gets a fresh template.</summary>
    private static string MigrationsFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in SchemaMigrator.ScriptNames)
        {
            using var stream = ActivitiesAssembly.Assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(Encoding.UTF8.GetBytes(reader.ReadToEnd()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }

    private async Task BuildTemplateAsync()
    {
        await using var admin = await OpenLockedAdminAsync();
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", admin))
        {
            exists.Parameters.AddWithValue(TemplateDatabase);
            if (await exists.ExecuteScalarAsync() is null)
            {
                await ExecuteAsync(admin, $"CREATE DATABASE \"{TemplateDatabase}\"");
            }
        }
        // Always run: a no-op when the template is complete, a repair when a previous run died half-way.
        var template = ConnectionString(TemplateDatabase, pooling: false);
        await SchemaMigrator.MigrateAsync(template, NullLogger.Instance);
    }

    /// <summary>An admin connection holding the template lock until it is disposed.</summary>
    private async Task<NpgsqlConnection> OpenLockedAdminAsync()
    {
        var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"SELECT pg_advisory_lock({TemplateLockKey})");
        return admin;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
