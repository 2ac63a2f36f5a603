using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>A user with the organizations they belong to.</summary>
public sealed record UserDetails(UserRow User, IReadOnlyList<Guid> OrganizationIds);

/// <summary>A user row before and after an update.</summary>
public sealed record UserChange(UserRow Before, UserRow After);

/// <summary>Users: created with their roles and memberships; status and roles changed by operators. System users are read-only.</summary>
public sealed class UserCatalog(NpgsqlDataSource dataSource)
{
    /// <summary>Creates a user and its memberships; an unknown organization is bad input on <c>organization_ids[i]</c>.</summary>
    public Task<UserDetails> CreateAsync(UserRow user, IReadOnlyList<Guid> organizationIds, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var taken = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM users WHERE username = @Username)", user, transaction, cancellationToken: cancellationToken));
            if (taken)
                throw new CatalogConflictException("username", $"a user named \"{user.Username}\" already exists");
            var known = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT id FROM organizations WHERE id = ANY(@ids) FOR SHARE", new { ids = organizationIds.ToArray() }, transaction, cancellationToken: cancellationToken))).ToHashSet();
            for (var i = 0; i < organizationIds.Count; i++)
            {
                if (!known.Contains(organizationIds[i]))
                    throw new CatalogInputException($"organization_ids[{i}]", $"no organization with id {organizationIds[i]}");
            }

            var row = await connection.QuerySingleAsync<UserRow>(new CommandDefinition(
                """
                INSERT INTO users (id, username, email, status, roles, quiet_hours_schedule)
                VALUES (@Id, @Username, @Email, @Status, @Roles, @QuietHoursSchedule)
                RETURNING *
                """,
                user with { Id = Guid.NewGuid() },
                transaction,
                cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO organization_members (organization_id, user_id) SELECT DISTINCT unnest(@ids::uuid[]), @userId",
                new { ids = organizationIds.ToArray(), userId = row.Id },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(connection, transaction, AuditAction.Create, AuditResourceType.User, row.Id, row.Username, null, null, row, cancellationToken);
            return new UserDetails(row, [.. organizationIds.Distinct()]);
        }, cancellationToken);

    /// <summary>Changes status, roles, email or quiet hours; <paramref name="apply"/> may refuse with <see cref="CatalogInputException"/>.</summary>
    public Task<UserChange> UpdateAsync(Guid id, Func<UserRow, UserRow> apply, CancellationToken cancellationToken = default) =>
        CatalogWrite.RunAsync(dataSource, async (connection, transaction) =>
        {
            var before = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
                "SELECT * FROM users WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: cancellationToken))
                ?? throw new CatalogNotFoundException($"user {id} not found");
            if (before.IsSystem)
                throw new CatalogConflictException("id", $"user {before.Username} is a system user and cannot be changed");
            var wanted = apply(before);
            var after = await connection.QuerySingleAsync<UserRow>(new CommandDefinition(
                """
                UPDATE users SET email = @Email, status = @Status, roles = @Roles, quiet_hours_schedule = @QuietHoursSchedule, updated_at = now()
                WHERE id = @id
                RETURNING *
                """,
                new { id, wanted.Email, wanted.Status, wanted.Roles, wanted.QuietHoursSchedule },
                transaction,
                cancellationToken: cancellationToken));
            await CatalogWrite.AuditAsync(connection, transaction, AuditAction.Write, AuditResourceType.User, id, after.Username, null, before, after, cancellationToken);
            return new UserChange(before, after);
        }, cancellationToken);

    public async Task<UserDetails?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT * FROM users WHERE id = @id;
            SELECT organization_id FROM organization_members WHERE user_id = @id ORDER BY organization_id;
            """,
            new { id },
            cancellationToken: cancellationToken));
        var user = await grid.ReadSingleOrDefaultAsync<UserRow>();
        var organizations = (await grid.ReadAsync<Guid>()).ToList();
        return user is null ? null : new UserDetails(user, organizations);
    }

    public async Task<bool> ExistsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = @id)", new { id }, cancellationToken: cancellationToken));
    }
}
