using Dapper;
using Lifecycle.Activities.Instances;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>
/// <c>POST /api/v1/instances/{id}/ready</c>: the agent's callback. It authenticates with its own per-instance token
/// (never the API token) and becomes the <c>ready</c> signal of the instance's workflow.
/// </summary>
public static class InstanceReadyEndpoint
{
    public static IEndpointRouteBuilder MapInstanceReady(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/v1/instances/{id}/ready", async (
            string id, HttpRequest request, NpgsqlDataSource database, ITemporalClient temporal, CancellationToken cancellationToken) =>
        {
            if (!Guid.TryParse(id, out var instanceId))
            {
                return Results.Json(new { error = $"id: \"{id}\" is not an instance id (a UUID)", field = "id" }, statusCode: StatusCodes.Status400BadRequest);
            }
            var header = request.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return Results.Json(new { error = "Authorization: a Bearer instance token is required" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<(byte[]? Hash, bool Deleted)?>(new CommandDefinition(
                "SELECT agent_token_hash, deleted FROM workspaces WHERE id = @instanceId",
                new { instanceId },
                cancellationToken: cancellationToken));
            if (row is not { } found || found.Deleted)
            {
                return Results.Json(new { error = $"instance {instanceId} not found" }, statusCode: StatusCodes.Status404NotFound);
            }
            // The same answer for a wrong token as for an instance without one: nothing to learn from probing.
            if (!InstanceToken.Matches(header[scheme.Length..].Trim(), found.Hash))
            {
                return Results.Json(new { error = "the instance token is not valid for this instance" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            try
            {
                await temporal.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(instanceId)).SignalAsync(wf => wf.ReadyAsync());
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                return Results.Json(new { error = $"instance {instanceId} has no running workflow" }, statusCode: StatusCodes.Status404NotFound);
            }
            return Results.NoContent();
        });
        return endpoints;
    }
}
