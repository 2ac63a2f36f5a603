using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Prebuilds;
using Npgsql;

namespace Lifecycle.Worker.Api;

/// <summary>Presets: <c>GET /api/v1/presets/{id}</c> (configuration and live prebuild state), <c>POST …/reset</c>, <c>POST …/invalidate</c>.</summary>
public static class PresetsEndpoints
{
    public static RouteGroupBuilder MapPresets(this RouteGroupBuilder api)
    {
        api.MapGet("/presets/{id}", async (string id, PresetCatalog presets, NpgsqlDataSource database, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var presetId = ApiFields.Id(id);
            var preset = await presets.GetAsync(presetId, cancellationToken) ?? throw new CatalogNotFoundException($"preset {presetId} not found");
            return ApiJson.Ok(await LiveViewAsync(preset, database, Options(services), cancellationToken));
        });

        api.MapPost("/presets/{id}/reset", async (string id, PresetCatalog presets, NpgsqlDataSource database, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var presetId = ApiFields.Id(id);
            var reset = await presets.ResetHardLimitAsync(presetId, cancellationToken);
            var preset = await presets.GetAsync(presetId, cancellationToken) ?? throw new CatalogNotFoundException($"preset {presetId} not found");
            var view = await LiveViewAsync(preset, database, Options(services), cancellationToken);
            return ApiJson.Ok(new { WasHardLimited = reset.Before.PrebuildStatus == PrebuildStatus.HardLimited.ToStoredText(), Preset = view });
        });
        api.MapPost("/presets/{id}/invalidate", async (string id, PresetCatalog presets, NpgsqlDataSource database, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var presetId = ApiFields.Id(id);
            await presets.InvalidateAsync(presetId, cancellationToken);
            var preset = await presets.GetAsync(presetId, cancellationToken) ?? throw new CatalogNotFoundException($"preset {presetId} not found");
            return ApiJson.Ok(await LiveViewAsync(preset, database, Options(services), cancellationToken));
        });
        return api;
    }

    /// <summary>A preset's stored configuration (as a new version's answer lists it).</summary>
    public static object ConfigView(PresetDetails p) => new
    {
        p.Preset.Id,
        p.Preset.Name,
        p.TemplateId,
        p.Preset.TemplateVersionId,
        p.Preset.DesiredInstances,
        p.Preset.InvalidateAfterSecs,
        p.Preset.SchedulingTimezone,
        p.Preset.TargetExpression,
        Parameters = p.Parameters.ToDictionary(x => x.Name, x => x.Value, StringComparer.Ordinal),
        PrebuildSchedules = p.Schedules.Select(s => new { s.Id, s.CronExpression, s.DesiredInstances }),
        Status = p.Preset.PrebuildStatus,
    };

    /// <summary>
    /// Configuration plus the live state, computed exactly as a reconcile pass would now: the reconciler's snapshot
    /// reader in its one-preset form (the pass's statements narrowed to this preset) and its pure state/backoff
    /// functions, at the database clock of the read.
    /// </summary>
    private static async Task<object> LiveViewAsync(PresetDetails p, NpgsqlDataSource database, PrebuildOptions options, CancellationToken cancellationToken)
    {
        var read = await PrebuildSnapshotReader.ReadAsync(database, options, p.Preset.Id, cancellationToken);
        var inSnapshot = read.Snapshot.Presets.Any(x => x.Id == p.Preset.Id);
        var snapshot = inSnapshot ? read.Snapshot.ForPreset(p.Preset.Id) : null;
        var state = snapshot is null ? new PresetState() : PresetReconciliation.CalculateState(snapshot, read.ReadAt, options);
        var backoffUntil = snapshot is null ? null : PresetReconciliation.ActiveBackoffUntil(snapshot, read.ReadAt, options);
        var stored = StoredText.Parse<PrebuildStatus>(p.Preset.PrebuildStatus);
        return new
        {
            p.Preset.Id,
            p.Preset.Name,
            p.TemplateId,
            p.TemplateName,
            p.Preset.TemplateVersionId,
            p.VersionName,
            OnActiveVersion = p.OnActiveVersion,
            Active = snapshot?.Preset.IsActive ?? false,
            p.Preset.DesiredInstances,
            p.Preset.InvalidateAfterSecs,
            p.Preset.SchedulingTimezone,
            p.Preset.TargetExpression,
            Parameters = p.Parameters.ToDictionary(x => x.Name, x => x.Value, StringComparer.Ordinal),
            PrebuildSchedules = p.Schedules.Select(s => new { s.Id, s.CronExpression, s.DesiredInstances }),
            Status = p.Preset.PrebuildStatus,
            HardLimited = stored == PrebuildStatus.HardLimited,
            CreatesStopped = state.HardLimited,
            p.Preset.LastInvalidatedAt,
            p.Preset.FailureLimitResetAt,
            state.Desired,
            state.Actual,
            state.Expired,
            state.Eligible,
            state.Extraneous,
            state.Starting,
            state.Stopping,
            state.Deleting,
            BackoffUntil = backoffUntil,
            state.DesiredProblem,
            DesiredSource = snapshot is null ? null : state.DesiredSource.ToStoredText(),
            state.ExpressionError,
            ClaimWindows = ClaimWindowsView(snapshot),
            read.Snapshot.ReconciliationPaused,
            ReadAt = read.ReadAt,
        };
    }

    // The claims_/misses_ variables a target expression reads, by their expression names; only presets with one have them.
    private static Dictionary<string, int>? ClaimWindowsView(PresetSnapshot? snapshot)
    {
        if (snapshot?.Preset.TargetExpression is null)
            return null;
        var w = snapshot.ClaimWindows ?? new PresetClaimWindows { PresetId = snapshot.Preset.Id };
        return new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["claims_5m"] = w.Claims5m,
            ["claims_10m"] = w.Claims10m,
            ["claims_30m"] = w.Claims30m,
            ["claims_60m"] = w.Claims60m,
            ["claims_120m"] = w.Claims120m,
            ["misses_5m"] = w.Misses5m,
            ["misses_10m"] = w.Misses10m,
            ["misses_30m"] = w.Misses30m,
            ["misses_60m"] = w.Misses60m,
            ["misses_120m"] = w.Misses120m,
        };
    }

    private static PrebuildOptions Options(IServiceProvider services) =>
        services.GetService<ReconcileSettings>()?.Prebuilds ?? PrebuildOptions.Default;
}
