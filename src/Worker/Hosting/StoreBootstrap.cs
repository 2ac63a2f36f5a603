using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Embedded;
using Lifecycle.Worker.Configuration;

namespace Lifecycle.Worker.Hosting;

/// <summary>The store the host runs on: its connection string and, for the embedded default, the cluster it owns.</summary>
public sealed class StoreBootstrap : IAsyncDisposable
{
    /// <summary>The database the embedded cluster holds Lifecycle's data in.</summary>
    public const string EmbeddedDatabase = "lifecycle";

    private StoreBootstrap(string connectionString, PostgresCluster? cluster)
    {
        ConnectionString = connectionString;
        Cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>The embedded cluster, or null when LIFECYCLE_DATABASE_URL names the database.</summary>
    public PostgresCluster? Cluster { get; }

    /// <summary>
    /// Uses the configured database as is, or starts the embedded cluster in <c>&lt;data&gt;/postgres</c>; then applies
    /// the migrations. Failures are <see cref="StoreStartupException"/> with one line to print.
    /// </summary>
    public static async Task<StoreBootstrap> StartAsync(LifecycleOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.DatabaseConnectionString is { } configured)
        {
            await MigrateAsync(configured, "the database of LIFECYCLE_DATABASE_URL", logger, cancellationToken);
            return new StoreBootstrap(configured, cluster: null);
        }
        var cluster = await PostgresCluster.StartAsync(
            new PostgresClusterOptions { Directory = Path.Combine(options.DataDirectory, "postgres") }, logger, cancellationToken);
        try
        {
            await cluster.EnsureDatabaseAsync(EmbeddedDatabase, cancellationToken);
            var connectionString = cluster.ConnectionString(EmbeddedDatabase);
            await MigrateAsync(connectionString, "the embedded database", logger, cancellationToken);
            return new StoreBootstrap(connectionString, cluster);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the embedded cluster if the host started it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    private static async Task MigrateAsync(string connectionString, string what, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await SchemaMigrator.MigrateAsync(connectionString, logger, cancellationToken);
        }
        catch (Npgsql.NpgsqlException e)
        {
            throw new StoreStartupException($"cannot reach {what}: {e.Message.Split('\n')[0]}", e);
        }
    }
}
