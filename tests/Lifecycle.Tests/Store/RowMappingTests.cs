using System.Reflection;
using System.Text;
using Dapper;
using Lifecycle.Activities.Store.Rows;
using Lifecycle.Testing.Postgres;
using Xunit;

namespace Lifecycle.Tests.Store;

/// <summary>Every row record has exactly its table's columns, and Dapper reads a seeded row of each back.</summary>
public sealed class RowMappingTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    public static TheoryData<string, Type> Tables => new()
    {
        { "organizations", typeof(OrganizationRow) },
        { "organization_members", typeof(OrganizationMemberRow) },
        { "users", typeof(UserRow) },
        { "templates", typeof(TemplateRow) },
        { "template_versions", typeof(TemplateVersionRow) },
        { "presets", typeof(PresetRow) },
        { "preset_parameters", typeof(PresetParameterRow) },
        { "preset_prebuild_schedules", typeof(PresetPrebuildScheduleRow) },
        { "prebuild_events", typeof(PrebuildEventRow) },
        { "workspaces", typeof(WorkspaceRow) },
        { "provisioner_jobs", typeof(ProvisionerJobRow) },
        { "workspace_builds", typeof(WorkspaceBuildRow) },
        { "notifications", typeof(NotificationRow) },
        { "audit_log", typeof(AuditLogRow) },
        { "global_settings", typeof(GlobalSettingsRow) },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public async Task Row_record_matches_the_table(string table, Type row)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var columns = (await connection.QueryAsync<string>(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table", new { table })).ToHashSet();
        var properties = row.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => SnakeCase(p.Name))
            .ToHashSet();

        Assert.NotEmpty(columns);
        Assert.Equal(columns.Order(), properties.Order());

        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        var rows = (await connection.QueryAsync(row, $"SELECT * FROM {table}", transaction: transaction)).ToArray();
        Assert.NotEmpty(rows);
    }

    [Fact]
    public async Task Timestamps_intervals_and_arrays_round_trip_through_dapper()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await StoreSeed.BeginSeededAsync(connection);
        var dormantAt = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        await connection.ExecuteAsync(
            "UPDATE workspaces SET ttl = @ttl, dormant_at = @dormantAt, agent_token_hash = @hash WHERE id = @id",
            new { ttl = TimeSpan.FromMinutes(90), dormantAt, hash = new byte[32], id = StoreSeed.WorkspaceId },
            transaction);

        var workspace = await connection.QuerySingleAsync<WorkspaceRow>(
            "SELECT * FROM workspaces WHERE id = @id", new { id = StoreSeed.WorkspaceId }, transaction);
        var user = await connection.QuerySingleAsync<UserRow>("SELECT * FROM users WHERE id = @id", new { id = StoreSeed.AdminId }, transaction);

        Assert.Equal(TimeSpan.FromMinutes(90), workspace.Ttl);
        Assert.Equal(dormantAt, workspace.DormantAt);
        Assert.Equal(TimeSpan.Zero, workspace.DormantAt!.Value.Offset);
        Assert.Equal(32, workspace.AgentTokenHash!.Length);
        Assert.Equal("pending_create", workspace.InstanceStatus);
        Assert.Equal(["template-admin"], user.Roles);
    }

    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && builder.Length > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
