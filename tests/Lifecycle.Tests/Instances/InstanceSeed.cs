using Dapper;
using Lifecycle.Activities.Store;
using Npgsql;

namespace Lifecycle.Tests.Instances;

/// <summary>
/// Rows an instance needs (organization, template with its active version, preset with a parameter) made once per
/// database, and fresh instance rows for each test, so tests of one class never touch each other's instances.
/// </summary>
internal sealed class InstanceSeed
{
    public const string Image = "ubuntu-24.04";
    public const string Flavor = "small";
    public const string ExtraSpecs = """{"disk": "10G", "os_arch": "arm64"}""";

    private InstanceSeed(NpgsqlDataSource dataSource, Guid organizationId, Guid templateId, Guid versionId, Guid presetId)
    {
        DataSource = dataSource;
        OrganizationId = organizationId;
        TemplateId = templateId;
        VersionId = versionId;
        PresetId = presetId;
    }

    public NpgsqlDataSource DataSource { get; }

    public Guid OrganizationId { get; }

    public Guid TemplateId { get; }

    public Guid VersionId { get; }

    public Guid PresetId { get; }

    /// <summary>Makes the organization, template, version and preset rows.</summary>
    public static async Task<InstanceSeed> CreateAsync(NpgsqlDataSource dataSource)
    {
        var seed = new InstanceSeed(dataSource, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO organizations (id, name) VALUES (@OrganizationId, 'org-' || @OrganizationId::text);
            INSERT INTO templates (id, organization_id, name, provider_name) VALUES (@TemplateId, @OrganizationId, 'tpl', 'scripted');
            INSERT INTO template_versions (id, template_id, name, provider_image, provider_flavor, provider_extra_specs)
                VALUES (@VersionId, @TemplateId, 'v1', @Image, @Flavor, @ExtraSpecs::jsonb);
            UPDATE templates SET active_version_id = @VersionId WHERE id = @TemplateId;
            INSERT INTO presets (id, template_version_id, name, desired_instances) VALUES (@PresetId, @VersionId, 'small', 1);
            INSERT INTO preset_parameters (preset_id, name, value) VALUES (@PresetId, 'cpu', '2');
            """,
            new { seed.OrganizationId, seed.TemplateId, seed.VersionId, seed.PresetId, Image, Flavor, ExtraSpecs },
            tx);
        await tx.CommitAsync();
        return seed;
    }

    /// <summary>A new prebuild instance row in pending_create, owned by the prebuilds user.</summary>
    public async Task<SeededInstance> InstanceAsync(string providerName = "scripted", string status = "pending_create")
    {
        var id = Guid.NewGuid();
        var name = $"lc-{id:N}"[..19];
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name, provider_name, instance_status)
            VALUES (@Id, @OrganizationId, @Owner, @TemplateId, @PresetId, @Name, @Name, @ProviderName, @Status)
            """,
            new { Id = id, OrganizationId, Owner = SystemUsers.PrebuildsUserId, TemplateId, PresetId, Name = name, ProviderName = providerName, Status = status });
        return new SeededInstance(id, name, providerName, PresetId, TemplateId);
    }

    /// <summary>Sets the stored status directly (to put an instance where a test starts).</summary>
    public async Task SetStatusAsync(Guid id, string status)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE workspaces SET instance_status = @Status WHERE id = @Id", new { Id = id, Status = status });
    }

    /// <summary>The instance row as stored.</summary>
    public async Task<StoredInstance> ReadAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<StoredInstance>(
            """
            SELECT instance_status, provider_id, provider_fault, create_attempts, ready_at, deleted, agent_token_hash,
                   provider_details::text AS provider_details
            FROM workspaces WHERE id = @Id
            """,
            new { Id = id });
    }

    /// <summary>The instance's builds with their job status, oldest first.</summary>
    public async Task<IReadOnlyList<StoredBuild>> BuildsAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<StoredBuild>(
            """
            SELECT b.build_number, b.transition, b.template_version_id, b.template_version_preset_id, b.is_prebuild,
                   b.parameters::text AS parameters, j.job_status, j.error, j.worker_id
            FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE b.workspace_id = @Id ORDER BY b.build_number
            """,
            new { Id = id });
        return [.. rows];
    }

    /// <summary>How many provisioner jobs exist for the instance's organization (to catch orphans).</summary>
    public async Task<long> JobCountAsync()
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM provisioner_jobs WHERE organization_id = @OrganizationId", new { OrganizationId });
    }

    /// <summary>The audit entries about the instance, oldest first, as "from->to".</summary>
    public async Task<IReadOnlyList<string>> AuditAsync(Guid id)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<string>(
            "SELECT (old_value->>'instance_status') || '->' || (new_value->>'instance_status') FROM audit_log WHERE resource_id = @Id ORDER BY id",
            new { Id = id });
        return [.. rows];
    }
}

/// <summary>An instance row made for a test.</summary>
internal sealed record SeededInstance(Guid Id, string Name, string ProviderName, Guid PresetId, Guid TemplateId);

/// <summary>The instance columns tests check.</summary>
internal sealed class StoredInstance
{
    public string InstanceStatus { get; init; } = string.Empty;

    public string? ProviderId { get; init; }

    public string? ProviderFault { get; init; }

    public int CreateAttempts { get; init; }

    public DateTimeOffset? ReadyAt { get; init; }

    public bool Deleted { get; init; }

    public byte[]? AgentTokenHash { get; init; }

    public string ProviderDetails { get; init; } = "{}";
}

/// <summary>One build and its job.</summary>
internal sealed class StoredBuild
{
    public int BuildNumber { get; init; }

    public string Transition { get; init; } = string.Empty;

    public Guid TemplateVersionId { get; init; }

    public Guid? TemplateVersionPresetId { get; init; }

    public bool IsPrebuild { get; init; }

    public string Parameters { get; init; } = "{}";

    public string JobStatus { get; init; } = string.Empty;

    public string? Error { get; init; }

    public string? WorkerId { get; init; }

    public override string ToString() => $"#{BuildNumber} {Transition} {JobStatus}";
}
