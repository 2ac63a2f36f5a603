using System.Text.Json;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Lifecycle.Activities.Instances;

/// <summary>
/// The claim of a prebuild (spec prebuilds.md B30), in one transaction: the row is locked and changed only while the
/// prebuilds user still owns it, together with its audit entry and the <c>claim_succeeded</c> prebuild event (the
/// reconciler's claimed counter counts rows no longer owned by the prebuilds user, so it follows at the next snapshot).
/// </summary>
public sealed class ClaimActivities(NpgsqlDataSource dataSource, ILogger<ClaimActivities>? logger = null) : IClaimActivities
{
    private const string LockSql = """
        SELECT w.owner_id, w.organization_id, w.template_id, w.preset_id, w.name, w.deleted, w.ready_at, w.instance_status,
               w.autostart_schedule, w.ttl, w.next_start_at, w.automatic_updates, w.updated_at,
               t.deleted AS template_deleted, t.default_ttl, t.allow_user_autostart, t.allow_user_autostop,
               t.autostart_allowed_days, now() AS now,
               (SELECT b.transition FROM workspace_builds b WHERE b.workspace_id = w.id
                ORDER BY b.build_number DESC LIMIT 1) AS latest_transition
        FROM workspaces w JOIN templates t ON t.id = w.template_id
        WHERE w.id = @id
        FOR UPDATE OF w
        """;

    // One statement: the row changes only while the prebuilds user owns it and its latest build is still the start
    // (a reconciler delete records a delete build under the same row lock first), and the audit entry and the event are
    // written only when it did. The lock above orders a racing delete; this condition is the guard itself.
    private static readonly string UpdateSql = $"""
        WITH claimed AS (
            UPDATE workspaces w
            SET owner_id = @owner_id, name = @name, autostart_schedule = @schedule, ttl = @ttl, next_start_at = @next_start_at,
                last_used_at = @now, dormant_at = NULL, deleting_at = NULL, updated_at = @now
            WHERE w.id = @id AND w.owner_id = '{SystemUsers.PrebuildsUserId}' AND NOT w.deleted
              AND (SELECT b.transition FROM workspace_builds b WHERE b.workspace_id = w.id
                   ORDER BY b.build_number DESC LIMIT 1) = 'start'
            RETURNING w.id),
        audit AS (
            INSERT INTO audit_log (time, user_id, organization_id, action, resource_type, resource_id, resource_target,
                                   old_value, new_value, status_code, additional_fields, idempotency_key)
            SELECT @now, @owner_id, @organization_id, 'claim', 'workspace', claimed.id, @name, @old_value::jsonb,
                   @new_value::jsonb, 200, @additional::jsonb, 'claim/' || claimed.id::text
            FROM claimed
            ON CONFLICT (idempotency_key) DO NOTHING),
        event AS (
            INSERT INTO prebuild_events (preset_id, kind, created_at)
            SELECT @preset_id, 'claim_succeeded', @now FROM claimed WHERE @preset_id::uuid IS NOT NULL)
        SELECT count(*)::int FROM claimed;
        """;

    private readonly ILogger logger = logger ?? NullLogger<ClaimActivities>.Instance;

    /// <inheritdoc/>
    [Activity("ClaimPrebuild")]
    public async Task<ClaimedWorkspace> ClaimPrebuildAsync(ClaimPrebuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        StoreDataSource.ConfigureDapper();
        var cancellationToken = ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;
        var claim = request.Claim;
        var what = $"instance {request.InstanceId}";

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(LockSql, new { id = request.InstanceId }, transaction, cancellationToken: cancellationToken))
            ?? throw Refuse(ClaimFailures.NotClaimable, $"{what}: not found");

        if (row.OwnerId == claim.OwnerId && string.Equals(row.Name, claim.Name, StringComparison.OrdinalIgnoreCase))
        {
            // A retry after the commit: the claim already stands.
            return View(request.InstanceId, row, row.UpdatedAt);
        }
        if (row.OwnerId != SystemUsers.PrebuildsUserId)
            throw Refuse(ClaimFailures.AlreadyClaimed, $"{what}: already claimed by user {row.OwnerId}");
        if (row.LatestTransition != "start")
            throw Refuse(ClaimFailures.NotClaimable, $"{what}: being deleted by the reconciler (latest build {row.LatestTransition ?? "(none)"})");
        if (row.Deleted || row.TemplateDeleted || row.ReadyAt is null || row.InstanceStatus != InstanceStatus.Running.ToText())
            throw Refuse(ClaimFailures.NotClaimable, $"{what}: not a ready prebuild (status {row.InstanceStatus}, ready {(row.ReadyAt is null ? "no" : "yes")}, deleted {row.Deleted || row.TemplateDeleted})");
        if (claim.PresetId is { } wanted && wanted != row.PresetId)
            throw Refuse(ClaimFailures.NotClaimable, $"{what}: belongs to preset {row.PresetId}, not {wanted}");

        // The workflow's clock, so the workspace's rules compare times taken on one clock.
        if (request.At is { } at)
            row = row with { Now = at };
        var settings = Settings(row, claim, what);
        var name = claim.Name.Trim();
        try
        {
            var changed = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                UpdateSql,
                new
                {
                    id = request.InstanceId,
                    owner_id = claim.OwnerId,
                    name,
                    schedule = settings.AutostartSchedule,
                    ttl = settings.Ttl,
                    next_start_at = settings.NextStartAt,
                    now = row.Now,
                    organization_id = row.OrganizationId,
                    preset_id = row.PresetId,
                    old_value = JsonSerializer.Serialize(new { owner_id = row.OwnerId, name = row.Name }),
                    new_value = JsonSerializer.Serialize(new { owner_id = claim.OwnerId, name, autostart_schedule = settings.AutostartSchedule, ttl_ms = (long?)settings.Ttl?.TotalMilliseconds }),
                    additional = JsonSerializer.Serialize(new { via = "claim", preset_id = row.PresetId, claimed_from_prebuild = true }),
                },
                transaction,
                cancellationToken: cancellationToken));
            if (changed < 1)
                throw Refuse(ClaimFailures.AlreadyClaimed, $"{what}: no longer an unclaimed prebuild");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "workspaces_owner_id_name_key")
        {
            throw Refuse(ClaimFailures.NameTaken, $"name: user {claim.OwnerId} already has a workspace named \"{name}\"");
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("prebuild claimed: {InstanceId} of preset {PresetId} by user {OwnerId} as {Name}", request.InstanceId, row.PresetId, claim.OwnerId, name);
        return View(request.InstanceId, row with { OwnerId = claim.OwnerId, Name = name, AutostartSchedule = settings.AutostartSchedule, Ttl = settings.Ttl, NextStartAt = settings.NextStartAt }, row.Now);
    }

    /// <summary>The template policy the claim's schedule and TTL are checked against.</summary>
    internal static TemplateSchedulePolicy Policy(TimeSpan defaultTtl, bool allowUserAutostart, bool allowUserAutostop, short autostartAllowedDays) => new()
    {
        DefaultTtl = defaultTtl,
        AllowUserAutostart = allowUserAutostart,
        AllowUserAutostop = allowUserAutostop,
        AutostartAllowedDays = (Weekdays)autostartAllowedDays,
    };

    private static WorkspaceSettings Settings(Row row, ClaimRequest claim, string what)
    {
        var automaticUpdates = string.Equals(row.AutomaticUpdates, "always", StringComparison.Ordinal) ? AutomaticUpdates.Always : AutomaticUpdates.Never;
        try
        {
            return WorkspaceScheduleRequest.ForClaim(
                row.Now, claim.AutostartSchedule, claim.Ttl, automaticUpdates,
                Policy(row.DefaultTtl, row.AllowUserAutostart, row.AllowUserAutostop, row.AutostartAllowedDays));
        }
        catch (ScheduleFormatException e)
        {
            throw Refuse(ClaimFailures.InvalidRequest, $"{what}: {e.Message}");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw Refuse(ClaimFailures.InvalidRequest, $"{what}: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    private static ClaimedWorkspace View(Guid id, Row row, DateTimeOffset claimedAt) =>
        new(id, row.Name, row.OwnerId, row.PresetId, row.TemplateId, row.AutostartSchedule, row.Ttl, row.NextStartAt, claimedAt);

    private static ApplicationFailureException Refuse(string type, string message) => new(message, type, nonRetryable: true);

    private sealed record Row
    {
        public Guid OwnerId { get; init; }

        public Guid OrganizationId { get; init; }

        public Guid TemplateId { get; init; }

        public Guid? PresetId { get; init; }

        public string Name { get; init; } = "";

        public bool Deleted { get; init; }

        public DateTimeOffset? ReadyAt { get; init; }

        public string InstanceStatus { get; init; } = "";

        public string? AutostartSchedule { get; init; }

        public TimeSpan? Ttl { get; init; }

        public DateTimeOffset? NextStartAt { get; init; }

        public string AutomaticUpdates { get; init; } = "never";

        public DateTimeOffset UpdatedAt { get; init; }

        public bool TemplateDeleted { get; init; }

        public TimeSpan DefaultTtl { get; init; }

        public bool AllowUserAutostart { get; init; }

        public bool AllowUserAutostop { get; init; }

        public short AutostartAllowedDays { get; init; }

        public DateTimeOffset Now { get; init; }

        public string? LatestTransition { get; init; }
    }
}
