using Lifecycle.Activities.Catalog;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/organizations</c>.</summary>
public sealed record OrganizationRequest(string? Name);

/// <summary>Organizations: <c>POST /api/v1/organizations</c>, <c>GET /api/v1/organizations/{id}</c>.</summary>
public static class OrganizationsEndpoints
{
    public static RouteGroupBuilder MapOrganizations(this RouteGroupBuilder api)
    {
        api.MapPost("/organizations", async (HttpRequest request, OrganizationCatalog organizations, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<OrganizationRequest>(request, cancellationToken);
            var created = await organizations.CreateAsync(ApiFields.Name(body.Name, "name"), cancellationToken);
            return ApiJson.Created($"/api/v1/organizations/{created.Id}", created);
        });

        api.MapGet("/organizations/{id}", async (string id, OrganizationCatalog organizations, CancellationToken cancellationToken) =>
        {
            var organizationId = ApiFields.Id(id);
            var found = await organizations.GetAsync(organizationId, cancellationToken) ?? throw new CatalogNotFoundException($"organization {organizationId} not found");
            return ApiJson.Ok(found);
        });
        return api;
    }
}
