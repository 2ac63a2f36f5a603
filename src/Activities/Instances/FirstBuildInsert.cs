using Dapper;
using Npgsql;

namespace Lifecycle.Activities.Instances;

/// <summary>What new instances of one preset share: where they belong, who owns them, how their first build is made.</summary>
/// <param name="OrganizationId">The template's organization (the owner is made a member of it).</param>
/// <param name="TemplateId">The template.</param>
/// <param name="PresetId">The preset whose parameter values the first build carries.</param>
/// <param name="VersionId">The template version the first build runs.</param>
/// <param name="ProviderName">The provider that makes the machines.</param>
/// <param name="OwnerId">The owner and initiator: the prebuilds user for prebuilds, the user for a fresh workspace.</param>
/// <param name="IsPrebuild">Marks the first build as a prebuild build (spec B24).</param>
/// <param name="AutostartSchedule">The owner's autostart schedule; null for none (always for prebuilds).</param>
/// <param name="Ttl">The owner's autostop TTL; null for none (always for prebuilds).</param>
/// <param name="NextStartAt">The cached next autostart; null for none.</param>
internal sealed record FirstBuildOwner(
    Guid OrganizationId,
    Guid TemplateId,
    Guid PresetId,
    Guid VersionId,
    string ProviderName,
    Guid OwnerId,
    bool IsPrebuild,
    string? AutostartSchedule = null,
    TimeSpan? Ttl = null,
    DateTimeOffset? NextStartAt = null);

/// <summary>The ids and names of one new instance and of its first build and job.</summary>
internal sealed record FirstBuildKey(Guid InstanceId, string Name, string InstanceName, Guid JobId, Guid BuildId);

/// <summary>
/// Inserts new instances the one way both the reconciler (prebuilds, spec B24) and the claim fallback (a workspace
/// made fresh for its owner) make them: the owner's organization membership, the instance row, its first <c>start</c>
/// build with the preset's parameter values and that build's pending job. An instance whose id exists is skipped with
/// its build and job, so a retry with the same keys inserts nothing twice. Runs in the caller's transaction.
/// </summary>
internal static class FirstBuildInsert
{
    private const string Sql = """
        INSERT INTO organization_members (organization_id, user_id)
        VALUES (@organization_id, @owner_id)
        ON CONFLICT DO NOTHING;

        WITH input AS (
            SELECT * FROM unnest(@ids, @names, @instance_names, @job_ids, @build_ids) AS i(id, name, instance_name, job_id, build_id)),
        instances AS (
            INSERT INTO workspaces (id, organization_id, owner_id, template_id, preset_id, name, instance_name,
                                    automatic_updates, provider_name, autostart_schedule, ttl, next_start_at, last_used_at)
            SELECT i.id, @organization_id, @owner_id, @template_id, @preset_id, i.name, i.instance_name, 'never',
                   @provider_name, @schedule::text, @ttl::interval, @next_start_at::timestamptz, now()
            FROM input i
            ON CONFLICT (id) DO NOTHING
            RETURNING id),
        jobs AS (
            INSERT INTO provisioner_jobs (id, organization_id, type, initiator_id)
            SELECT i.job_id, @organization_id, 'workspace_build', @owner_id
            FROM input i JOIN instances USING (id)
            RETURNING id),
        builds AS (
            INSERT INTO workspace_builds (id, workspace_id, build_number, template_version_id, template_version_preset_id,
                                          transition, reason, initiator_id, job_id, is_prebuild, parameters)
            SELECT i.build_id, i.id, 1, @version_id, @preset_id, 'start', 'initiator', @owner_id, i.job_id, @is_prebuild,
                   (SELECT coalesce(jsonb_object_agg(pp.name, pp.value), jsonb_build_object())
                    FROM preset_parameters pp WHERE pp.preset_id = @preset_id)
            FROM input i JOIN jobs ON jobs.id = i.job_id
            RETURNING workspace_id)
        SELECT workspace_id FROM builds;
        """;

    /// <summary>Inserts the keyed instances; returns the ids this call inserted (an existing id is left as it is).</summary>
    public static async Task<HashSet<Guid>> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, FirstBuildOwner owner, IReadOnlyList<FirstBuildKey> keys, CancellationToken cancellationToken)
    {
        var inserted = await connection.QueryAsync<Guid>(new CommandDefinition(
            Sql,
            new
            {
                ids = keys.Select(k => k.InstanceId).ToArray(),
                names = keys.Select(k => k.Name).ToArray(),
                instance_names = keys.Select(k => k.InstanceName).ToArray(),
                job_ids = keys.Select(k => k.JobId).ToArray(),
                build_ids = keys.Select(k => k.BuildId).ToArray(),
                organization_id = owner.OrganizationId,
                owner_id = owner.OwnerId,
                template_id = owner.TemplateId,
                preset_id = owner.PresetId,
                version_id = owner.VersionId,
                provider_name = owner.ProviderName,
                is_prebuild = owner.IsPrebuild,
                schedule = owner.AutostartSchedule,
                ttl = owner.Ttl,
                next_start_at = owner.NextStartAt,
            },
            transaction,
            cancellationToken: cancellationToken));
        return [.. inserted];
    }
}
