using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Store;
using Npgsql;

namespace Lifecycle.Activities.Catalog;

/// <summary>
/// Runs one catalog write in one transaction: everything the body writes (rows, audit entry) commits together or not
/// at all. A body throwing a <see cref="CatalogException"/> rolls back; a constraint the database enforces (a unique
/// name raced in by another request) is turned into the same conflict exception.
/// </summary>
internal static class CatalogWrite
{
    // Unique and check constraints that can still trip after the code's own checks (a concurrent insert): name → field.
    private static readonly Dictionary<string, string> ConflictFields = new(StringComparer.Ordinal)
    {
        ["organizations_name_key"] = "name",
        ["users_username_key"] = "username",
        ["templates_organization_id_name_key"] = "name",
        ["template_versions_template_id_name_key"] = "name",
        ["presets_template_version_id_name_key"] = "presets",
    };

    internal static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            var result = await body(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName is { } name && ConflictFields.TryGetValue(name, out var field))
        {
            throw new CatalogConflictException(field, $"already taken ({e.ConstraintName})");
        }
    }

    /// <summary>Records a committed change in <c>audit_log</c> inside the write's transaction (status 200: it commits with the change).</summary>
    public static Task AuditAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        AuditAction action,
        AuditResourceType resourceType,
        Guid resourceId,
        string target,
        Guid? organizationId,
        object? oldValue,
        object? newValue,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_log (user_id, organization_id, action, resource_type, resource_id, resource_target, old_value, new_value, status_code, additional_fields)
            VALUES (NULL, @organization_id, @action, @resource_type, @resource_id, @target, @old::jsonb, @new::jsonb, 200, '{"via": "api"}')
            """,
            new
            {
                organization_id = organizationId,
                action = action.ToStoredText(),
                resource_type = resourceType.ToStoredText(),
                resource_id = resourceId,
                target,
                old = oldValue is null ? null : JsonSerializer.Serialize(oldValue, AuditJson),
                @new = newValue is null ? null : JsonSerializer.Serialize(newValue, AuditJson),
            },
            transaction,
            cancellationToken: cancellationToken));
}
