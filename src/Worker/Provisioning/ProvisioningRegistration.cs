using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Providers;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Worker.Configuration;

namespace Lifecycle.Worker.Provisioning;

/// <summary>Registers what the Instance and reconcile activities need: providers, the installation identity, settings.</summary>
public static class ProvisioningRegistration
{
    /// <summary>Configuration section of GARM external providers, by name: Executable, ConfigFile, Timeout, InterfaceVersion.</summary>
    public const string ProvidersSection = "Lifecycle:Providers";

    public static IServiceCollection AddProvisioning(this IServiceCollection services, IConfiguration configuration, LifecycleOptions options)
    {
        var identity = InstallationIdentity.Resolve(
            configuration[LifecycleSettings.ControllerId.Key], configuration[LifecycleSettings.InstanceTokenSecret.Key], options.DataDirectory);
        services.AddSingleton(identity);
        services.AddSingleton(_ => BuildCatalog(configuration, identity.ControllerId));
        services.AddInstanceActivities(o =>
        {
            o.ControllerId = identity.ControllerId;
            o.InstanceTokenSecret = identity.InstanceTokenSecret;
            o.CallbackBaseUrl = (configuration[LifecycleSettings.CallbackBaseUrl.Key] ?? options.HttpUrl.ToString()).TrimEnd('/');
        });
        services.AddReconcileActivities();
        services.AddHostedService<ReconcileScheduleService>();
        return services;
    }

    private static ProviderCatalog BuildCatalog(IConfiguration configuration, string controllerId)
    {
        var configured = configuration.GetSection(ProvidersSection).Get<Dictionary<string, ProviderDefinition>>()
            ?? new Dictionary<string, ProviderDefinition>();
        ProviderDefinition? builtIn = null;
        if (!configured.ContainsKey(ProcessProviderExecutable.ProviderName))
        {
            try
            {
                builtIn = ProcessProviderExecutable.Definition();
            }
            catch (FileNotFoundException)
            {
                // Without it, presets naming "process" fail at create with an error that lists the configured providers.
                builtIn = null;
            }
        }
        return ProviderCatalog.FromConfiguration(configured, controllerId, builtIn);
    }
}
