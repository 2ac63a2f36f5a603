using Dapper;
using Npgsql;

namespace Lifecycle.Tests.Api;

/// <summary>Counts rows behind the API, to prove a refused request wrote nothing.</summary>
internal static class ApiRows
{
    private static readonly string[] Tables =
    [
        "organizations", "users", "organization_members", "templates", "template_versions", "presets", "preset_parameters",
        "preset_prebuild_schedules", "audit_log", "global_settings",
    ];

    /// <summary>Row count of every table the API writes, plus the newest update times, as one comparable text.</summary>
    public static async Task<string> FingerprintAsync(NpgsqlDataSource database)
    {
        await using var connection = await database.OpenConnectionAsync();
        var counts = new List<string>();
        foreach (var table in Tables)
            counts.Add($"{table}={await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}")}");
        counts.Add($"templates.updated={await connection.ExecuteScalarAsync<DateTime?>("SELECT max(updated_at) FROM templates"):O}");
        counts.Add($"users.updated={await connection.ExecuteScalarAsync<DateTime?>("SELECT max(updated_at) FROM users"):O}");
        counts.Add($"settings={await connection.ExecuteScalarAsync<string>("SELECT reconciliation_paused::text || updated_at::text FROM global_settings")}");
        counts.Add($"presets.status={await connection.ExecuteScalarAsync<string>("SELECT string_agg(prebuild_status || coalesce(failure_limit_reset_at::text, '') || coalesce(last_invalidated_at::text, ''), ',' ORDER BY id) FROM presets")}");
        return string.Join(' ', counts);
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql, object? parameters = null)
    {
        await using var connection = await database.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public static async Task ExecuteAsync(NpgsqlDataSource database, string sql, object? parameters = null)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}
