using Lifecycle.Activities.Catalog;

namespace Lifecycle.Worker.Api;

/// <summary>
/// The HTTP API under <c>/api/v1</c> (routes in README.md of this folder). Every route of the group requires the API
/// token; the agent callback (<see cref="InstanceReadyEndpoint"/>) is mapped outside the group with its own per-instance
/// token. A refused write (<see cref="CatalogException"/>) becomes 400, 404 or 409 with <see cref="ApiError"/>.
/// </summary>
public static class LifecycleApi
{
    public const string Prefix = "/api/v1";

    /// <summary>Registers the stores, the token and the workspace fan-out (needs NpgsqlDataSource and ITemporalClient).</summary>
    public static IServiceCollection AddLifecycleApi(this IServiceCollection services, ApiToken token)
    {
        services.AddSingleton(token);
        services.AddSingleton<OrganizationCatalog>();
        services.AddSingleton<TemplateCatalog>();
        services.AddSingleton<PresetCatalog>();
        services.AddSingleton<UserCatalog>();
        services.AddSingleton<NotificationLog>();
        services.AddSingleton<GlobalSettingsStore>();
        services.AddSingleton<WorkspaceCatalog>();
        services.AddSingleton<IWorkspaceFanout, TemporalWorkspaceFanout>();
        services.AddHostedService<ApiTokenAnnouncement>();
        return services;
    }

    /// <summary>Maps every token-protected route of the API.</summary>
    public static RouteGroupBuilder MapLifecycleApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Prefix);
        api.AddEndpointFilter<ApiTokenFilter>();
        api.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (CatalogException e)
            {
                return ApiJson.ForException(e);
            }
        });
        api.MapOrganizations();
        api.MapTemplates();
        api.MapTemplateVersions();
        api.MapPresets();
        api.MapUsers();
        api.MapNotifications();
        api.MapSettings();
        api.MapWorkspaceClaim();
        api.MapWorkspaces();
        return api;
    }
}
