using Dapper;
using Lifecycle.Testing.Postgres;
using Npgsql;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>
/// Two test classes write a row under the same unique name: each sees only its own. Sharing a database would make
/// one of them fail on the unique name or see two rows, whether xunit runs them in parallel or one after the other.
/// </summary>
public sealed class IsolationFirstClassTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public Task Sees_only_its_own_rows() => IsolationProbe.WriteAndReadAsync(database, "first");
}

/// <inheritdoc cref="IsolationFirstClassTests"/>
public sealed class IsolationSecondClassTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public Task Sees_only_its_own_rows() => IsolationProbe.WriteAndReadAsync(database, "second");

    [Fact]
    public async Task Databases_used_at_the_same_moment_stay_apart()
    {
        var one = new PostgresDatabase();
        var two = new PostgresDatabase();
        await Task.WhenAll(one.InitializeAsync(), two.InitializeAsync());
        try
        {
            // Both write the same unique name inside open transactions at the same time, then both commit.
            await using var a = await one.DataSource.OpenConnectionAsync();
            await using var b = await two.DataSource.OpenConnectionAsync();
            await using var ta = await a.BeginTransactionAsync();
            await using var tb = await b.BeginTransactionAsync();
            await Task.WhenAll(
                a.ExecuteAsync("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'probe')", transaction: ta),
                b.ExecuteAsync("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'probe')", transaction: tb));
            await Task.WhenAll(ta.CommitAsync(), tb.CommitAsync());

            Assert.NotEqual(one.Name, two.Name);
            Assert.Equal(1L, await a.ExecuteScalarAsync<long>("SELECT count(*) FROM organizations"));
            Assert.Equal(1L, await b.ExecuteScalarAsync<long>("SELECT count(*) FROM organizations"));
        }
        finally
        {
            await Task.WhenAll(one.DisposeAsync(), two.DisposeAsync());
        }

        // Dropped afterwards: a test leaves no database behind.
        await using var admin = new NpgsqlConnection(one.Server.ConnectionString("postgres"));
        var left = await admin.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_database WHERE datname = ANY(@names)", new { names = new[] { one.Name, two.Name } });
        Assert.Equal(0L, left);
    }
}

internal static class IsolationProbe
{
    public static async Task WriteAndReadAsync(PostgresDatabase database, string marker)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'isolation-probe'); INSERT INTO users (id, username) VALUES (gen_random_uuid(), @marker)",
            new { marker });

        var organizations = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM organizations");
        var users = (await connection.QueryAsync<string>("SELECT username FROM users WHERE NOT is_system")).ToArray();

        Assert.Equal(1L, organizations);
        Assert.Equal([marker], users);
    }
}
