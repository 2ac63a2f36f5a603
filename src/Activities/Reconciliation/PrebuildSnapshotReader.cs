using System.Data;
using Dapper;
using Lifecycle.Activities.Store;
using Lifecycle.Activities.Store.Rows;
using Lifecycle.Workflows.Prebuilds;
using Npgsql;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>A snapshot as read: the decision's input, the database clock at the read, and the metric totals.</summary>
public sealed record PrebuildSnapshotRead(GlobalSnapshot Snapshot, DateTimeOffset ReadAt, IReadOnlyList<PresetTotals> Totals);

/// <summary>
/// Reads the whole prebuild state (spec B4) in ONE read-only repeatable-read transaction, sent as ONE batch of
/// <see cref="StatementCount"/> statements: the cost of a pass is the same round trip whatever the number of presets.
/// </summary>
public static class PrebuildSnapshotReader
{
    /// <summary>Queries per snapshot (one round trip); independent of the number of presets and instances.</summary>
    public const int StatementCount = 10;

    // The one-preset form narrows every statement to the preset. Unclaimed prebuilds are narrowed on the instance's own
    // preset first (the partial index's leading column; every writer copies it into the instance's builds), then on the
    // same derived preset the fleet form groups by, so both forms count exactly the same rows for the preset.

    // Creation attempts (B21/B22): the first (start) build of every prebuild the reconciler made for a preset with
    // prebuild configuration on its template's active version (template not deleted). Coder reads the latest build
    // instead, because it leaves failed prebuilds in place; here the Instance workflow deletes a given-up instance
    // (GARM), which adds a delete build, so the first build is what keeps the failed attempt as evidence. Driven from
    // the presets through workspace_builds_preset_start_idx, so old versions' instances cost nothing.
    private static readonly string Attempts = $"""
        attempts AS (
            SELECT p.id AS preset_id, b.created_at, j.job_status = 'failed' AS failed, p.desired_instances,
                   p.failure_limit_reset_at
            FROM presets p
            JOIN template_versions tv ON tv.id = p.template_version_id
            JOIN templates t ON t.id = tv.template_id
            JOIN workspace_builds b ON b.template_version_preset_id = p.id AND b.transition = 'start'
            JOIN provisioner_jobs j ON j.id = b.job_id
            WHERE p.desired_instances IS NOT NULL
              AND t.active_version_id = p.template_version_id
              AND NOT t.deleted
              AND b.build_number = 1
              AND b.is_prebuild
              AND b.initiator_id = {PrebuildSql.PrebuildsUser}
              AND {OnePreset("p.id")})
        """;

    // B16: claims and misses of each preset with a target expression over the trailing windows, as ONE aggregate with a
    // FILTER per window and kind, whatever the number of presets. A window of w minutes holds events at or after
    // now() − w (the transaction's clock, the decision's clock); events are read through (preset_id, created_at).
    private static readonly string ClaimWindowsSql = $"""
        SELECT p.id AS preset_id,
               {string.Join(",\n       ", TargetVariables.WindowMinutes.SelectMany(m => new[]
               {
                   $"count(*) FILTER (WHERE e.kind = 'claim_succeeded' AND e.created_at >= now() - interval '{m} minutes')::int AS claims_{m}m",
                   $"count(*) FILTER (WHERE e.kind = 'claim_missed' AND e.created_at >= now() - interval '{m} minutes')::int AS misses_{m}m",
               }))}
        FROM presets p
        JOIN prebuild_events e ON e.preset_id = p.id AND e.created_at >= now() - interval '{TargetVariables.WindowMinutes.Max()} minutes'
        WHERE p.desired_instances IS NOT NULL
          AND p.target_expression IS NOT NULL
          AND {OnePreset("p.id")}
        GROUP BY p.id
        ORDER BY p.id;
        """;

    private static readonly string Sql = $"""
        SET TRANSACTION READ ONLY;

        SELECT reconciliation_paused, now() AS read_at FROM global_settings;

        SELECT p.*, tv.template_id, t.name AS template_name, o.name AS organization_name, t.active_version_id,
               t.deleted AS template_deleted, t.deprecated <> '' AS template_deprecated
        FROM presets p
        JOIN template_versions tv ON tv.id = p.template_version_id
        JOIN templates t ON t.id = tv.template_id
        JOIN organizations o ON o.id = t.organization_id
        WHERE p.desired_instances IS NOT NULL
          AND {OnePreset("p.id")}
        ORDER BY p.id;

        SELECT s.id, s.preset_id, s.cron_expression, s.desired_instances
        FROM preset_prebuild_schedules s
        JOIN presets p ON p.id = s.preset_id
        WHERE p.desired_instances IS NOT NULL
          AND {OnePreset("s.preset_id")}
        ORDER BY s.preset_id, s.id;

        SELECT w.id, cp.preset_id, w.created_at, w.ready_at IS NOT NULL AS ready
        FROM workspaces w
        {PrebuildSql.LatestBuild}
        CROSS JOIN LATERAL (
            SELECT b.template_version_preset_id AS preset_id
            FROM workspace_builds b
            WHERE b.workspace_id = w.id AND b.transition = 'start' AND b.template_version_preset_id IS NOT NULL
            ORDER BY b.build_number DESC
            LIMIT 1) cp
        WHERE w.owner_id = {PrebuildSql.PrebuildsUser}
          AND NOT w.deleted
          AND lb.transition = 'start'
          AND lb.job_status = 'succeeded'
          -- A machine its Instance workflow is deleting, or gave up on, is no longer running whatever its build says.
          AND w.instance_status NOT IN ('error', 'pending_delete', 'pending_force_delete', 'deleting', 'deleted')
          AND {OnePreset("w.preset_id")} AND {OnePreset("cp.preset_id")}
        ORDER BY w.created_at, w.id;

        SELECT lb.preset_id, lb.transition, count(*)::int AS count
        FROM workspaces w
        {PrebuildSql.LatestBuild}
        JOIN templates t ON t.id = w.template_id
        WHERE w.owner_id = {PrebuildSql.PrebuildsUser}
          AND NOT w.deleted
          AND lb.job_status IN ('pending', 'running')
          AND lb.template_version_id = t.active_version_id
          AND lb.preset_id IS NOT NULL
          AND {OnePreset("w.preset_id")} AND {OnePreset("lb.preset_id")}
        GROUP BY lb.preset_id, lb.transition;

        SELECT b.template_version_preset_id AS preset_id, count(*)::int AS count
        FROM workspaces w
        JOIN workspace_builds b ON b.workspace_id = w.id AND b.build_number = 1
        JOIN provisioner_jobs j ON j.id = b.job_id
        JOIN templates t ON t.id = w.template_id
        WHERE w.owner_id = {PrebuildSql.PrebuildsUser}
          AND NOT w.deleted
          AND b.transition = 'start'
          AND b.template_version_preset_id IS NOT NULL
          AND b.template_version_id IS DISTINCT FROM t.active_version_id
          AND j.job_status = 'pending' AND j.worker_id IS NULL
          AND {OnePreset("w.preset_id")} AND {OnePreset("b.template_version_preset_id")}
        GROUP BY b.template_version_preset_id;

        WITH {Attempts},
        ranked AS (
            SELECT a.*, row_number() OVER (PARTITION BY a.preset_id ORDER BY a.created_at DESC) AS rn FROM attempts a)
        SELECT preset_id,
               count(*) FILTER (WHERE failed AND created_at >= now() - @lookback)::int AS num_failed,
               max(created_at) FILTER (WHERE failed AND created_at >= now() - @lookback AND rn <= desired_instances) AS last_build_at
        FROM ranked
        GROUP BY preset_id
        HAVING count(*) FILTER (WHERE failed AND created_at >= now() - @lookback AND rn <= desired_instances) > 0;

        WITH {Attempts},
        ranked AS (
            SELECT a.*, row_number() OVER (PARTITION BY a.preset_id ORDER BY a.created_at DESC) AS rn
            FROM attempts a
            WHERE a.failure_limit_reset_at IS NULL OR a.created_at > a.failure_limit_reset_at)
        SELECT preset_id
        FROM ranked
        WHERE rn <= @hard_limit AND @hard_limit > 0
        GROUP BY preset_id
        HAVING count(*) = @hard_limit AND bool_and(failed);

        SELECT t.name AS template_name, p.name AS preset_name, o.name AS organization_name,
               count(*) AS created,
               count(*) FILTER (WHERE j.job_status = 'failed') AS failed,
               count(*) FILTER (WHERE w.owner_id <> {PrebuildSql.PrebuildsUser}) AS claimed
        FROM workspace_builds b
        JOIN workspaces w ON w.id = b.workspace_id
        JOIN provisioner_jobs j ON j.id = b.job_id
        JOIN presets p ON p.id = b.template_version_preset_id
        JOIN templates t ON t.id = w.template_id
        JOIN organizations o ON o.id = t.organization_id
        WHERE b.build_number = 1 AND b.is_prebuild AND b.initiator_id = {PrebuildSql.PrebuildsUser} AND NOT t.deleted
          AND {OnePreset("p.id")}
        GROUP BY t.name, p.name, o.name;

        {ClaimWindowsSql}
        """;

    /// <summary>Reads the whole snapshot with the options' lookback and hard limit.</summary>
    public static Task<PrebuildSnapshotRead> ReadAsync(NpgsqlDataSource dataSource, PrebuildOptions options, CancellationToken cancellationToken = default) =>
        ReadAsync(dataSource, options, presetId: null, cancellationToken);

    /// <summary>
    /// Reads the snapshot of one preset: the same statements in the same transaction shape, each narrowed to the preset,
    /// so <c>read.Snapshot.ForPreset(id)</c> equals the whole snapshot's at the same instant (empty when the preset has no
    /// prebuild configuration). A null <paramref name="presetId"/> reads every preset.
    /// </summary>
    public static async Task<PrebuildSnapshotRead> ReadAsync(NpgsqlDataSource dataSource, PrebuildOptions options, Guid? presetId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var command = new CommandDefinition(
            Sql,
            new { lookback = options.BackoffLookback, hard_limit = options.FailureHardLimit, preset_id = presetId },
            transaction,
            cancellationToken: cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(command);
        var settings = await grid.ReadSingleAsync<SettingsRow>();
        var presets = (await grid.ReadAsync<PresetWithTemplateRow>()).Select(ToPreset).ToList();
        var schedules = (await grid.ReadAsync<PresetPrebuildScheduleRow>()).Select(r => new PrebuildSchedule
        {
            Id = r.Id,
            PresetId = r.PresetId,
            CronExpression = r.CronExpression,
            DesiredInstances = r.DesiredInstances,
        }).ToList();
        var running = (await grid.ReadAsync<RunningRow>()).Select(r => new RunningPrebuild
        {
            Id = r.Id,
            PresetId = r.PresetId,
            CreatedAt = r.CreatedAt,
            Ready = r.Ready,
        }).ToList();
        var inProgress = (await grid.ReadAsync<InProgressRow>()).Select(r => new PrebuildsInProgress
        {
            PresetId = r.PresetId,
            Transition = StoredText.Parse<PrebuildTransition>(r.Transition),
            Count = r.Count,
        }).ToList();
        var pending = (await grid.ReadAsync<PendingRow>()).Select(r => new PendingPrebuilds { PresetId = r.PresetId, Count = r.Count }).ToList();
        var backoffs = (await grid.ReadAsync<BackoffRow>()).Select(r => new PresetBackoff
        {
            PresetId = r.PresetId,
            NumFailed = r.NumFailed,
            LastBuildAt = r.LastBuildAt,
        }).ToList();
        var hardLimited = (await grid.ReadAsync<Guid>()).ToList();
        var totals = (await grid.ReadAsync<TotalsRow>())
            .Select(r => new PresetTotals(new PresetLabels(r.TemplateName, r.PresetName, r.OrganizationName), r.Created, r.Failed, r.Claimed))
            .ToList();
        var claimWindows = (await grid.ReadAsync<PresetClaimWindows>()).ToList();
        if (!grid.IsConsumed)
            throw new InvalidOperationException($"prebuild snapshot: the batch returned more than the {StatementCount} result sets read");
        await transaction.CommitAsync(cancellationToken);

        var snapshot = new GlobalSnapshot
        {
            ReconciliationPaused = settings.ReconciliationPaused,
            Presets = presets,
            Schedules = schedules,
            Running = running,
            InProgress = inProgress,
            Pending = pending,
            Backoffs = backoffs,
            HardLimitedPresetIds = hardLimited,
            ClaimWindows = claimWindows,
        };
        return new PrebuildSnapshotRead(snapshot, settings.ReadAt, totals);
    }

    private static string OnePreset(string column) => $"(@preset_id::uuid IS NULL OR {column} = @preset_id)";

    private sealed class SettingsRow
    {
        public bool ReconciliationPaused { get; init; }

        public DateTimeOffset ReadAt { get; init; }
    }

    private static PrebuildPreset ToPreset(PresetWithTemplateRow row) => new()
    {
        Id = row.Id,
        TemplateId = row.TemplateId,
        TemplateVersionId = row.TemplateVersionId,
        Name = row.Name,
        TemplateName = row.TemplateName,
        OrganizationName = row.OrganizationName,
        DesiredInstances = row.DesiredInstances,
        UsingActiveVersion = row.OnActiveVersion,
        TemplateDeleted = row.TemplateDeleted,
        TemplateDeprecated = row.TemplateDeprecated,
        InvalidateAfterSeconds = row.InvalidateAfterSecs,
        LastInvalidatedAt = row.LastInvalidatedAt,
        SchedulingTimeZone = row.SchedulingTimezone,
        TargetExpression = row.TargetExpression,
        Status = StoredText.Parse<PrebuildStatus>(row.PrebuildStatus),
        FailureLimitResetAt = row.FailureLimitResetAt,
    };

    private sealed class RunningRow
    {
        public Guid Id { get; init; }

        public Guid PresetId { get; init; }

        public DateTimeOffset CreatedAt { get; init; }

        public bool Ready { get; init; }
    }

    private sealed class InProgressRow
    {
        public Guid PresetId { get; init; }

        public string Transition { get; init; } = "";

        public int Count { get; init; }
    }

    private sealed class PendingRow
    {
        public Guid PresetId { get; init; }

        public int Count { get; init; }
    }

    private sealed class BackoffRow
    {
        public Guid PresetId { get; init; }

        public int NumFailed { get; init; }

        public DateTimeOffset LastBuildAt { get; init; }
    }

    private sealed class TotalsRow
    {
        public string TemplateName { get; init; } = "";

        public string PresetName { get; init; } = "";

        public string OrganizationName { get; init; } = "";

        public long Created { get; init; }

        public long Failed { get; init; }

        public long Claimed { get; init; }
    }
}
