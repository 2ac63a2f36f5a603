using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>The embedded default: a private cluster is created, started, reused while running and keeps its data across restarts.</summary>
public sealed class EmbeddedClusterTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"lifecycle-embedded-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Starts_keeps_data_across_a_restart_and_stops()
    {
        var options = new PostgresClusterOptions { Directory = directory, Durable = false };
        int firstPort;

        await using (var cluster = await PostgresCluster.StartAsync(options, NullLogger.Instance))
        {
            Assert.True(cluster.StartedHere);
            Assert.True(File.Exists(Path.Combine(cluster.DataDirectory, "PG_VERSION")));
            firstPort = cluster.Port;
            await cluster.EnsureDatabaseAsync("lifecycle");
            await SchemaMigrator.MigrateAsync(cluster.ConnectionString("lifecycle"), NullLogger.Instance);
            await using var connection = new NpgsqlConnection(cluster.ConnectionString("lifecycle"));
            await connection.ExecuteAsync("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'survivor')");
        }

        // Stopped on dispose: nothing listens and no server process remains.
        Assert.False(File.Exists(Path.Combine(directory, "data", "postmaster.pid")));

        await using (var restarted = await PostgresCluster.StartAsync(options, NullLogger.Instance))
        {
            Assert.True(restarted.StartedHere);
            Assert.Equal(firstPort, restarted.Port);
            var applied = await SchemaMigrator.MigrateAsync(restarted.ConnectionString("lifecycle"), NullLogger.Instance);
            await using var connection = new NpgsqlConnection(restarted.ConnectionString("lifecycle"));
            var names = await connection.QueryAsync<string>("SELECT name FROM organizations");

            Assert.Empty(applied);
            Assert.Equal(["survivor"], names);
        }
    }

    [Fact]
    public async Task Reuses_a_cluster_already_running_and_leaves_it_running()
    {
        var options = new PostgresClusterOptions { Directory = directory, Durable = false };
        await using var owner = await PostgresCluster.StartAsync(options, NullLogger.Instance);

        await using (var second = await PostgresCluster.StartAsync(options, NullLogger.Instance))
        {
            Assert.False(second.StartedHere);
            Assert.Equal(owner.Port, second.Port);
        }

        await using var connection = new NpgsqlConnection(owner.ConnectionString("postgres"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT 1"));
        Assert.True(owner.StartedHere);
    }

    [Fact]
    public async Task Refuses_connections_without_the_generated_password()
    {
        await using var cluster = await PostgresCluster.StartAsync(new PostgresClusterOptions { Directory = directory, Durable = false }, NullLogger.Instance);
        var wrong = new NpgsqlConnectionStringBuilder(cluster.ConnectionString("postgres")) { Password = "guess" }.ConnectionString;

        await using var connection = new NpgsqlConnection(wrong);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }
}
