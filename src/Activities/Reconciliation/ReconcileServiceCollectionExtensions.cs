using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>Registers prebuild reconciliation's activities and metrics.</summary>
public static class ReconcileServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ReconcileActivities"/> (needs an <c>NpgsqlDataSource</c> and an <c>ITemporalClient</c> in the
    /// container), <see cref="PrebuildMetrics"/> and <see cref="ReconcileSettings"/> bound from options. The worker then
    /// adds the activities and the <c>ReconcileAll</c>/<c>ReconcilePreset</c> workflows to its Temporal worker.
    /// </summary>
    public static IServiceCollection AddReconcileActivities(this IServiceCollection services, Action<ReconcileSettings>? configure = null)
    {
        var options = services.AddOptions<ReconcileSettings>();
        if (configure is not null)
            options.Configure(configure);
        options.Validate(s => s.CreateRetry.Validate().Count == 0, "Lifecycle:Prebuilds:CreateRetry: invalid create retry policy");
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<ReconcileSettings>>().Value;
            settings.Prebuilds.Validate();
            return settings;
        });
        services.TryAddSingleton(sp => new PrebuildMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<ReconcileActivities>();
        services.TryAddSingleton<DriftActivities>();
        return services;
    }
}
