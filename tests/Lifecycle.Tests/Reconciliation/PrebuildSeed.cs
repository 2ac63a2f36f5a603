using Dapper;
using Lifecycle.Activities.Store;
using Npgsql;

namespace Lifecycle.Tests.Reconciliation;

/// <summary>The state of a build's provisioner job, as the store derives it from the job's timestamps.</summary>
internal enum Job
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>One build of a seeded instance.</summary>
internal sealed record SeedBuild(string Transition, Job Job, DateTimeOffset? CreatedAt = null, Guid? VersionId = null, bool PickedUp = false);

/// <summary>
/// Rows for reconcile tests, each test making its own template (with an active version) so the tests of one class
/// never see each other's presets: organizations, templates, versions, presets, users and instances with builds.
/// </summary>
internal sealed class PrebuildSeed(NpgsqlDataSource dataSource, Guid organizationId, Guid templateId, Guid activeVersionId)
{
    public NpgsqlDataSource DataSource { get; } = dataSource;

    public Guid OrganizationId { get; } = organizationId;

    public Guid TemplateId { get; } = templateId;

    /// <summary>The version active when the template was made.</summary>
    public Guid ActiveVersionId { get; private set; } = activeVersionId;

    public static async Task<PrebuildSeed> TemplateAsync(NpgsqlDataSource dataSource, string provider = "process")
    {
        var org = Guid.NewGuid();
        var template = Guid.NewGuid();
        var version = Guid.NewGuid();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO organizations (id, name) VALUES (@org, 'org-' || @org::text);
            INSERT INTO templates (id, organization_id, name, provider_name, bootstrap_timeout)
                VALUES (@template, @org, 'tpl-' || @template::text, @provider, interval '7 minutes');
            INSERT INTO template_versions (id, template_id, name) VALUES (@version, @template, 'v-' || @version::text);
            UPDATE templates SET active_version_id = @version WHERE id = @template;
            """,
            new { org, template, version, provider },
            tx);
        await tx.CommitAsync();
        return new PrebuildSeed(dataSource, org, template, version);
    }

    /// <summary>A new version of the template, made active unless told otherwise.</summary>
    public async Task<Guid> VersionAsync(bool activate = true)
    {
        var version = Guid.NewGuid();
        await ExecuteAsync(
            """
            INSERT INTO template_versions (id, template_id, name) VALUES (@version, @TemplateId, 'v-' || @version::text);
            UPDATE templates SET active_version_id = CASE WHEN @activate THEN @version ELSE active_version_id END WHERE id = @TemplateId;
            """,
            new { version, TemplateId, activate });
        if (activate)
            ActiveVersionId = version;
        return version;
    }

    public async Task<Guid> PresetAsync(int? desired, Guid? versionId = null, int invalidateAfterSecs = 0, string name = "small", IReadOnlyDictionary<string, string>? parameters = null)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(
            """
            INSERT INTO presets (id, template_version_id, name, desired_instances, invalidate_after_secs)
            VALUES (@id, @version, @name, @desired, @invalidateAfterSecs)
            """,
            new { id, version = versionId ?? ActiveVersionId, name, desired, invalidateAfterSecs });
        foreach (var (key, value) in parameters ?? new Dictionary<string, string>())
            await ExecuteAsync("INSERT INTO preset_parameters (preset_id, name, value) VALUES (@id, @key, @value)", new { id, key, value });
        return id;
    }

    public async Task<Guid> UserAsync(string[] roles, string status = "active")
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(
            "INSERT INTO users (id, username, roles, status) VALUES (@id, 'u-' || @id::text, @roles, @status)",
            new { id, roles, status });
        return id;
    }

    /// <summary>
    /// An instance of a preset with the given builds (numbered 1..n in order, the last is the latest). Owned by the
    /// prebuilds user unless <paramref name="owner"/> says otherwise.
    /// </summary>
    public async Task<Guid> InstanceAsync(
        Guid presetId,
        IReadOnlyList<SeedBuild> builds,
        DateTimeOffset? createdAt = null,
        bool ready = false,
        Guid? owner = null,
        bool deleted = false,
        string instanceStatus = "running")
    {
        var id = Guid.NewGuid();
        var created = createdAt ?? DateTimeOffset.UtcNow;
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name, provider_name,
                                    instance_status, ready_at, deleted, created_at)
            VALUES (@id, @OrganizationId, @owner, @TemplateId, @presetId, 'w-' || @id::text, 'w-' || @id::text, 'process',
                    @instanceStatus, CASE WHEN @ready THEN @created END, @deleted, @created)
            """,
            new { id, OrganizationId, owner = owner ?? SystemUsers.PrebuildsUserId, TemplateId, presetId, instanceStatus, ready, deleted, created },
            tx);
        var number = 0;
        foreach (var build in builds)
        {
            number++;
            var at = build.CreatedAt ?? created;
            var job = Guid.NewGuid();
            await connection.ExecuteAsync(
                """
                INSERT INTO provisioner_jobs (id, organization_id, initiator_id, worker_id, created_at, started_at, completed_at, canceled_at, error)
                VALUES (@job, @OrganizationId, @prebuilds, @worker, @at,
                        CASE WHEN @state IN ('Running', 'Succeeded', 'Failed') THEN @at END,
                        CASE WHEN @state IN ('Succeeded', 'Failed', 'Canceled') THEN @at END,
                        CASE WHEN @state = 'Canceled' THEN @at END,
                        CASE WHEN @state = 'Failed' THEN 'provider failed' END);
                INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                              transition, initiator_id, job_id, is_prebuild, created_at)
                VALUES (gen_random_uuid(), @id, @number, @version, @presetId, @transition, @prebuilds, @job, true, @at);
                """,
                new
                {
                    job,
                    OrganizationId,
                    prebuilds = SystemUsers.PrebuildsUserId,
                    worker = build.PickedUp || build.Job is not Job.Pending ? "worker-1" : null,
                    at,
                    state = build.Job.ToString(),
                    id,
                    number,
                    version = build.VersionId ?? await VersionOfAsync(connection, tx, presetId),
                    presetId,
                    transition = build.Transition,
                },
                tx);
        }
        await tx.CommitAsync();
        return id;
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<T>(sql, parameters)];
    }

    private static Task<Guid> VersionOfAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid presetId) =>
        connection.ExecuteScalarAsync<Guid>("SELECT template_version_id FROM presets WHERE id = @presetId", new { presetId }, tx);
}
