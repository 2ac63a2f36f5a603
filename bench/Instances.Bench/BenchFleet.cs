using Dapper;
using Npgsql;

namespace Instances.Bench;

/// <summary>The benchmark's rows: one organization, template, version and preset, and instance rows in pending_create.</summary>
internal sealed class BenchFleet(NpgsqlDataSource dataSource, Guid templateId, Guid presetId)
{
    public Guid TemplateId { get; } = templateId;

    public Guid PresetId { get; } = presetId;

    public static async Task<BenchFleet> SeedAsync(NpgsqlDataSource dataSource)
    {
        Guid org = Guid.NewGuid(), template = Guid.NewGuid(), version = Guid.NewGuid(), preset = Guid.NewGuid();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO organizations (id, name) VALUES (@Org, 'bench');
            INSERT INTO templates (id, organization_id, name, provider_name) VALUES (@Template, @Org, 'bench', 'process');
            INSERT INTO template_versions (id, template_id, name) VALUES (@Version, @Template, 'v1');
            UPDATE templates SET active_version_id = @Version WHERE id = @Template;
            INSERT INTO presets (id, template_version_id, name, desired_instances) VALUES (@Preset, @Version, 'bench', 0);
            """,
            new { Org = org, Template = template, Version = version, Preset = preset });
        return new BenchFleet(dataSource, template, preset);
    }

    /// <summary>Inserts <paramref name="count"/> instance rows for <paramref name="provider"/>, in one statement.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Name)>> InsertAsync(int count, string provider)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        var names = ids.Select(id => "b-" + id.ToString("N")[..16]).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name, provider_name, instance_status)
            SELECT r.id, t.organization_id, 'c42fdf75-3097-471c-8c33-fb52454d81c0', t.id, @Preset, r.name, r.name, @Provider, 'pending_create'
            FROM templates t, unnest(@Ids, @Names) AS r(id, name)
            WHERE t.id = @Template
            """,
            new { Ids = ids, Names = names, Provider = provider, Preset = PresetId, Template = TemplateId });
        var rows = ids.Zip(names);
        return [.. rows];
    }

    /// <summary>Waits (polling the store every 250 ms, bounded) until every instance is ready; returns how many are.</summary>
    public async Task<int> WaitReadyAsync(IReadOnlyList<(Guid Id, string Name)> ids, TimeSpan limit)
    {
        var all = ids.Select(i => i.Id).ToArray();
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var ready = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM workspaces WHERE id = ANY(@Ids) AND ready_at IS NOT NULL", new { Ids = all });
            if (ready == all.Length || DateTime.UtcNow > deadline)
                return ready;
            await Task.Delay(250);
        }
    }

    /// <summary>Row created → ready, in seconds: median, 95th percentile, max.</summary>
    public async Task<(double P50, double P95, double Max)> ReadyLatenciesAsync(IReadOnlyList<(Guid Id, string Name)> ids)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var seconds = (await connection.QueryAsync<double>(
            "SELECT extract(epoch FROM ready_at - created_at)::float8 FROM workspaces WHERE id = ANY(@Ids) AND ready_at IS NOT NULL ORDER BY 1",
            new { Ids = ids.Select(i => i.Id).ToArray() })).ToList();
        return seconds.Count == 0 ? (0, 0, 0) : (seconds[seconds.Count / 2], seconds[(int)(seconds.Count * 0.95)], seconds[^1]);
    }
}
