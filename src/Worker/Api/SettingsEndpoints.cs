using Lifecycle.Activities.Catalog;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>PUT /api/v1/settings/reconciliation</c>.</summary>
public sealed record ReconciliationSettingsRequest(bool? Paused);

/// <summary>Global settings: <c>GET|PUT /api/v1/settings/reconciliation</c> (pause or resume prebuild reconciliation).</summary>
public static class SettingsEndpoints
{
    public static RouteGroupBuilder MapSettings(this RouteGroupBuilder api)
    {
        api.MapGet("/settings/reconciliation", async (GlobalSettingsStore settings, CancellationToken cancellationToken) =>
        {
            var row = await settings.GetAsync(cancellationToken);
            return ApiJson.Ok(new { Paused = row.ReconciliationPaused, row.UpdatedAt });
        });

        api.MapPut("/settings/reconciliation", async (HttpRequest request, GlobalSettingsStore settings, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<ReconciliationSettingsRequest>(request, cancellationToken);
            var row = await settings.SetReconciliationPausedAsync(ApiFields.Required(body.Paused, "paused"), cancellationToken);
            return ApiJson.Ok(new { Paused = row.ReconciliationPaused, row.UpdatedAt });
        });
        return api;
    }
}
