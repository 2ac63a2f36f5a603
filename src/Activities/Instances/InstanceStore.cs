using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;
using Npgsql;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The instance rows of the store (table <c>workspaces</c>) as the Instance workflow changes them: one conditional
/// update per state change, in a transaction with the build and provisioner-job rows the prebuild reconciler counts
/// and an audit entry. Every write is conditional or an insert that ignores a conflict, so a replay changes nothing.
/// </summary>
public sealed partial class InstanceStore
{
    private const string SpecSql = """
        SELECT w.id, w.instance_name, w.provider_name, w.preset_id, w.template_id, w.provider_id,
               v.id AS template_version_id,
               coalesce(v.provider_image, '') AS provider_image,
               coalesce(v.provider_flavor, '') AS provider_flavor,
               coalesce(v.provider_extra_specs, '{}'::jsonb)::text AS provider_extra_specs
        FROM workspaces w
        JOIN templates t ON t.id = w.template_id
        LEFT JOIN presets p ON p.id = w.preset_id
        LEFT JOIN LATERAL (
            SELECT b.template_version_id FROM workspace_builds b
            WHERE b.workspace_id = w.id AND b.transition = 'start'
            ORDER BY b.build_number DESC LIMIT 1) lb ON true
        LEFT JOIN template_versions v ON v.id = coalesce(lb.template_version_id, p.template_version_id, t.active_version_id)
        WHERE w.id = @Id
        """;

    private readonly NpgsqlDataSource dataSource;

    /// <summary>A store over the process's shared data source.</summary>
    public InstanceStore(NpgsqlDataSource dataSource)
    {
        StoreDataSource.ConfigureDapper();
        this.dataSource = dataSource;
    }

    /// <summary>The statuses from which <paramref name="to"/> may be written: the transition table's, or every live one when forced.</summary>
    public static string[] AllowedFrom(InstanceStatus to, bool forced) =>
        [.. Enum.GetValues<InstanceStatus>()
            .Where(from => from != to && (forced ? from != InstanceStatus.Deleted : InstanceTransitions.AllowedFrom(from).Contains(to)))
            .Select(s => s.ToText())];

    /// <summary>
    /// Applies <paramref name="transition"/> if the stored status allows it. A repeat is a no-op (Applied=false, From =
    /// the status); a refused move names both states; an instance that is not in the store is reported, not thrown.
    /// Forced writes (GARM's) skip the table, but nothing leaves <c>deleted</c>.
    /// </summary>
    public async Task<InstanceTransitionResult> TransitionAsync(InstanceTransition transition, string workerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var to = transition.To.ToText();
        var changed = await connection.QuerySingleOrDefaultAsync<ChangedRow>(new CommandDefinition(
            """
            WITH current_row AS (
                SELECT id, instance_status FROM workspaces WHERE id = @Id FOR UPDATE
            )
            UPDATE workspaces AS w
            SET instance_status = @To,
                provider_fault  = CASE WHEN @Fault::text IS NOT NULL THEN @Fault::text
                                       WHEN @To = 'running' THEN NULL
                                       ELSE w.provider_fault END,
                -- A retry starts from a machine that was cleaned up: the old id no longer names anything.
                provider_id     = CASE WHEN @To = 'pending_create' THEN NULL ELSE coalesce(@ProviderId::text, w.provider_id) END,
                create_attempts = greatest(w.create_attempts, coalesce(@CreateAttempt::integer, 0)),
                ready_at        = CASE WHEN @Ready THEN coalesce(w.ready_at, now()) ELSE w.ready_at END,
                deleted         = w.deleted OR @To = 'deleted',
                updated_at      = now()
            FROM current_row
            WHERE w.id = current_row.id AND current_row.instance_status = ANY(@AllowedFrom)
            RETURNING current_row.instance_status AS from_status, w.owner_id, w.organization_id, w.instance_name, w.provider_id
            """,
            new
            {
                To = to,
                transition.Fault,
                transition.ProviderId,
                transition.CreateAttempt,
                transition.Ready,
                AllowedFrom = AllowedFrom(transition.To, transition.Forced),
                Id = transition.InstanceId,
            },
            tx,
            cancellationToken: cancellationToken));

        InstanceTransitionResult result;
        if (changed is not null)
        {
            var from = ParseStatus(changed.FromStatus);
            await WriteBuildRowsAsync(connection, tx, transition, workerId, cancellationToken);
            await AuditAsync(connection, tx, changed, from, transition, cancellationToken);
            result = new InstanceTransitionResult(Applied: true, From: from) { IsWorkspace = changed.OwnerId != SystemUsers.PrebuildsUserId };
        }
        else
        {
            result = await ExplainUnchangedAsync(connection, tx, transition, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>The build specification of an instance, or null when the store does not have it.</summary>
    public async Task<InstanceMachineSpec?> GetMachineSpecAsync(Guid instanceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<InstanceMachineSpec>(
            new CommandDefinition(SpecSql, new { Id = instanceId }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores the SHA-256 of the instance's agent token (a no-op when it is already stored).</summary>
    public async Task SetAgentTokenHashAsync(Guid instanceId, byte[] tokenHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE workspaces SET agent_token_hash = @Hash, updated_at = now() WHERE id = @Id AND agent_token_hash IS DISTINCT FROM @Hash",
            new { Id = instanceId, Hash = tokenHash },
            cancellationToken: cancellationToken));
    }

    /// <summary>Stores what the provider reported about the machine (addresses, OS, status) as <c>provider_details</c>.</summary>
    public async Task RecordProviderDetailsAsync(Guid instanceId, object details, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE workspaces SET provider_details = @Details::jsonb, updated_at = now() WHERE id = @Id AND provider_details IS DISTINCT FROM @Details::jsonb",
            new { Id = instanceId, Details = JsonSerializer.Serialize(details) },
            cancellationToken: cancellationToken));
    }

    private static async Task<InstanceTransitionResult> ExplainUnchangedAsync(DbConnection connection, DbTransaction tx, InstanceTransition transition, CancellationToken cancellationToken)
    {
        var current = await connection.QuerySingleOrDefaultAsync<CurrentRow>(new CommandDefinition(
            "SELECT instance_status, ready_at IS NOT NULL AS is_ready, owner_id, organization_id, instance_name, provider_id FROM workspaces WHERE id = @Id FOR UPDATE",
            new { Id = transition.InstanceId },
            tx,
            cancellationToken: cancellationToken));
        if (current is null)
        {
            // I10: an update that finds the instance gone is not an error for the workflow; the refusal says why.
            return new InstanceTransitionResult(Applied: false, From: null, Refusal: $"instance {transition.InstanceId} is not in the store");
        }
        var status = ParseStatus(current.InstanceStatus);
        var isWorkspace = current.OwnerId != SystemUsers.PrebuildsUserId;
        if (status == transition.To)
        {
            if (transition.Ready && !current.IsReady)
            {
                // Readiness is separate from the machine's state: running → running (ready) records when it called back.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE workspaces SET ready_at = now(), updated_at = now() WHERE id = @Id AND ready_at IS NULL",
                    new { Id = transition.InstanceId },
                    tx,
                    cancellationToken: cancellationToken));
                await AuditAsync(connection, tx, current, status, transition, cancellationToken);
                return new InstanceTransitionResult(Applied: true, From: status) { IsWorkspace = isWorkspace };
            }
            return new InstanceTransitionResult(Applied: false, From: status) { IsWorkspace = isWorkspace };
        }
        var verdict = InstanceTransitions.Check(status, transition.To);
        var reason = verdict.IsAllowed
            ? $"instance status cannot change from {status.ToText()} to {transition.To.ToText()}: {status.ToText()} is final"
            : verdict.Reason;
        return new InstanceTransitionResult(Applied: false, From: status, Refusal: $"instance {transition.InstanceId}: {reason}") { IsWorkspace = isWorkspace };
    }

    private static InstanceStatus ParseStatus(string text) =>
        InstanceStatuses.TryParse(text, out var status)
            ? status
            : throw new InvalidOperationException($"the store holds an unknown instance status \"{text}\"");

    /// <summary>The row a transition changed, with the status it had before.</summary>
    private class ChangedRow
    {
        public string FromStatus { get; init; } = string.Empty;

        public Guid OwnerId { get; init; }

        public Guid OrganizationId { get; init; }

        public string InstanceName { get; init; } = string.Empty;

        public string? ProviderId { get; init; }
    }

    /// <summary>The row a transition left alone.</summary>
    private sealed class CurrentRow : ChangedRow
    {
        public string InstanceStatus { get; init; } = string.Empty;

        public bool IsReady { get; init; }
    }
}
