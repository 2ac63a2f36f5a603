using Lifecycle.Activities.Store;
using Npgsql;
using Xunit;

namespace Lifecycle.Testing.Postgres;

/// <summary>
/// A class fixture (<c>IClassFixture&lt;PostgresDatabase&gt;</c>): a fresh, fully migrated database of its own for
/// one test class, copied from the template, dropped when the class is done. Classes run in parallel and never see
/// each other's rows.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private PostgresServer? server;
    private NpgsqlDataSource? dataSource;

    /// <summary>The database's name (<c>lifecycle_test_…</c>).</summary>
    public string Name { get; } = $"lifecycle_test_{Guid.NewGuid():N}"[..31];

    public PostgresServer Server => server ?? throw new InvalidOperationException("the database fixture is not initialised");

    public string ConnectionString => Server.ConnectionString(Name);

    /// <summary>The data source the code under test should use (the shape the host registers).</summary>
    public NpgsqlDataSource DataSource => dataSource ?? throw new InvalidOperationException("the database fixture is not initialised");

    public async Task InitializeAsync()
    {
        server = await PostgresServer.GetAsync();
        await server.CreateDatabaseFromTemplateAsync(Name);
        dataSource = StoreDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (dataSource is not null)
        {
            await dataSource.DisposeAsync();
        }
        if (server is not null)
        {
            await server.DropDatabaseAsync(Name);
        }
    }
}
