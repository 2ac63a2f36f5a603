using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>Organizations: created by operators, referenced by templates and user memberships.</summary>
public sealed class OrganizationCatalog(NpgsqlDataSource dataSource)
{
    /// <summary>Creates an organization; a taken name (case-insensitive) is a conflict on <c>name</c>.</summary>
    public Task<OrganizationRow> CreateAsync(string name, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM organizations WHERE lower(name) = lower(@name))", new { name }, transaction, cancellationToken: cancellationToken));
            if (taken)
                throw new CatalogConflictException("name", $"an organization named \"{name}\" already exists");
            var row = await connection.QuerySingleAsync<OrganizationRow>(new CommandDefinition(
                "INSERT INTO organizations (id, name) VALUES (@id, @name) RETURNING *",
                new { id = Guid.NewGuid(), name },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(connection, transaction, AuditAction.Create, AuditResourceType.Organization, row.Id, row.Name, row.Id, null, row, cancellationToken);
            return row;
        }, cancellationToken);

    public async Task<OrganizationRow?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<OrganizationRow>(new CommandDefinition(
            "SELECT * FROM organizations WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }
}
