using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lifecycle.Activities.Instances;

/// <summary>Registers the Instance activities with the host's services.</summary>
public static class InstanceActivitiesServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="InstanceActivities"/>, its <see cref="InstanceStore"/> and validated <see cref="InstanceActivityOptions"/>.
    /// The host binds the options (section <see cref="InstanceActivityOptions.SectionName"/>) and registers the
    /// <c>NpgsqlDataSource</c> and <c>ProviderCatalog</c> these need; the Temporal worker then adds the activities.
    /// </summary>
    public static IServiceCollection AddInstanceActivities(this IServiceCollection services, Action<InstanceActivityOptions>? configure = null)
    {
        var options = services.AddOptions<InstanceActivityOptions>();
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InstanceActivityOptions>, InstanceActivityOptionsValidator>());
        services.TryAddSingleton<InstanceStore>();
        services.TryAddSingleton<InstanceActivities>();
        services.TryAddSingleton<Workspaces.WorkspaceStore>();
        services.TryAddSingleton<Workspaces.WorkspaceActivities>();
        return services;
    }

    /// <summary>Reports every problem of <see cref="InstanceActivityOptions.Validate"/> at start-up.</summary>
    private sealed class InstanceActivityOptionsValidator : IValidateOptions<InstanceActivityOptions>
    {
        public ValidateOptionsResult Validate(string? name, InstanceActivityOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
