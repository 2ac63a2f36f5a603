using Lifecycle.Activities.Catalog;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>
/// Workspaces: <c>POST /api/v1/workspaces</c> (fresh), <c>GET /api/v1/workspaces/{id}</c>, and the writes, each of
/// which goes through the workspace's Instance workflow (<see cref="WorkspaceHandlers"/>): start, stop and schedule
/// as updates (the answer is the workflow's view after the change), delete and activity as signals (202). Reads go to
/// the store. An unclaimed prebuild is not a workspace: the writes refuse it with 409 before asking the workflow.
/// </summary>
public static class WorkspacesEndpoints
{
    public static RouteGroupBuilder MapWorkspaces(this RouteGroupBuilder api)
    {
        api.MapPost("/workspaces", async (HttpRequest request, NpgsqlDataSource dataSource, ITemporalClient client, WorkspaceCatalog workspaces, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<NewWorkspaceRequest>(request, cancellationToken);
            var plan = await NewWorkspaces.PlanAsync(dataSource, body, cancellationToken);
            var fresh = await NewWorkspaces.CreateFreshAsync(dataSource, client, services, plan, cancellationToken);
            var created = await workspaces.GetAsync(fresh.InstanceId, cancellationToken)
                ?? throw new InvalidOperationException($"workspace {fresh.InstanceId} was created but cannot be read back");
            return ApiJson.Created($"{LifecycleApi.Prefix}/workspaces/{fresh.InstanceId}", WorkspaceViews.FromStore(created));
        });

        api.MapGet("/workspaces/{id}", async (string id, WorkspaceCatalog workspaces, CancellationToken cancellationToken) =>
        {
            var workspaceId = ApiFields.Id(id);
            var found = await workspaces.GetAsync(workspaceId, cancellationToken) ?? throw new CatalogNotFoundException($"workspace {workspaceId} not found");
            return ApiJson.Ok(WorkspaceViews.FromStore(found));
        });

        api.MapPost("/workspaces/{id}/start", (string id, HttpRequest request, WorkspaceCatalog workspaces, UserCatalog users, ITemporalClient client, CancellationToken cancellationToken) =>
            BuildAsync(WorkspaceHandlers.Start, id, request, workspaces, users, client, cancellationToken));

        api.MapPost("/workspaces/{id}/stop", (string id, HttpRequest request, WorkspaceCatalog workspaces, UserCatalog users, ITemporalClient client, CancellationToken cancellationToken) =>
            BuildAsync(WorkspaceHandlers.Stop, id, request, workspaces, users, client, cancellationToken));

        api.MapPut("/workspaces/{id}/schedule", async (string id, HttpRequest request, WorkspaceCatalog workspaces, UserCatalog users, ITemporalClient client, CancellationToken cancellationToken) =>
        {
            var workspace = await LiveWorkspaceAsync(workspaces, id, cancellationToken);
            var body = await ApiJson.ReadAsync<WorkspaceScheduleBody>(request, cancellationToken);
            var initiator = await UserOrAsync(users, body.InitiatorId, "initiator_id", workspace.OwnerId, cancellationToken);
            var change = body.ToChange(workspace.SchedulePolicy, initiator);
            return await UpdateAsync(client, workspace.Id, WorkspaceHandlers.Schedule, change, cancellationToken);
        });

        api.MapPost("/workspaces/{id}/delete", async (string id, HttpRequest request, WorkspaceCatalog workspaces, ITemporalClient client, CancellationToken cancellationToken) =>
        {
            var workspace = await LiveWorkspaceAsync(workspaces, id, cancellationToken);
            var force = Force(request.Query["force"]);
            var body = await ApiJson.ReadOptionalAsync(request, new WorkspaceDeleteBody(), cancellationToken);
            var reason = string.IsNullOrWhiteSpace(body.Reason) ? "deleted through the API" : body.Reason.Trim();
            await SignalAsync(client, workspace.Id, WorkspaceHandlers.Delete, new DeleteInstanceRequest(force, reason), cancellationToken);
            return Results.Json(new { id = workspace.Id, force, reason }, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });

        api.MapPost("/workspaces/{id}/activity", async (string id, HttpRequest request, WorkspaceCatalog workspaces, UserCatalog users, ITemporalClient client, CancellationToken cancellationToken) =>
        {
            var workspace = await LiveWorkspaceAsync(workspaces, id, cancellationToken);
            var body = await ApiJson.ReadOptionalAsync(request, new WorkspaceActivityBody(), cancellationToken);
            if (body.UserId is { } userId && !await users.ExistsAsync(userId, cancellationToken))
                throw new CatalogInputException("user_id", $"user {userId} not found");
            await SignalAsync(client, workspace.Id, WorkspaceHandlers.Activity, new WorkspaceActivity(body.UserId), cancellationToken);
            return Results.Json(new { id = workspace.Id, user_id = body.UserId }, ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
        });

        return api;
    }

    private static async Task<IResult> BuildAsync(string update, string id, HttpRequest request, WorkspaceCatalog workspaces, UserCatalog users, ITemporalClient client, CancellationToken cancellationToken)
    {
        var workspace = await LiveWorkspaceAsync(workspaces, id, cancellationToken);
        var body = await ApiJson.ReadOptionalAsync(request, new WorkspaceBuildBody(), cancellationToken);
        var initiator = await UserOrAsync(users, body.InitiatorId, "initiator_id", workspace.OwnerId, cancellationToken);
        return await UpdateAsync(client, workspace.Id, update, new WorkspaceBuildRequest(initiator), cancellationToken);
    }

    /// <summary>The workspace a write is about: 400 for a malformed id, 404 unknown or deleted, 409 an unclaimed prebuild.</summary>
    private static async Task<WorkspaceDetails> LiveWorkspaceAsync(WorkspaceCatalog workspaces, string id, CancellationToken cancellationToken)
    {
        var workspaceId = ApiFields.Id(id);
        var found = await workspaces.GetAsync(workspaceId, cancellationToken) ?? throw new CatalogNotFoundException($"workspace {workspaceId} not found");
        if (found.Deleted)
            throw new CatalogNotFoundException($"workspace {workspaceId} ({found.Name}) is deleted");
        return found.IsPrebuild
            ? throw new CatalogConflictException("id", $"instance {workspaceId} is an unclaimed prebuild, not a workspace; claim it first (POST {LifecycleApi.Prefix}/workspaces/claim)")
            : found;
    }

    /// <summary>The named user (400 naming <paramref name="field"/> when unknown), or <paramref name="fallback"/> when none is named.</summary>
    private static async Task<Guid> UserOrAsync(UserCatalog users, Guid? named, string field, Guid fallback, CancellationToken cancellationToken) =>
        named is not { } userId ? fallback
        : await users.ExistsAsync(userId, cancellationToken) ? userId
        : throw new CatalogInputException(field, $"user {userId} not found");

    private static bool Force(string? text) =>
        text is null ? false
        : bool.TryParse(text.Trim(), out var force) ? force
        : throw new CatalogInputException("force", $"\"{text}\" is not true or false");

    /// <summary>
    /// Sends a workspace update and answers with the workflow's view. The workflow's refusals map to HTTP: an invalid
    /// request to 400 naming its field, not-a-workspace and conflicts to 409, a finished workflow to 404.
    /// </summary>
    private static async Task<IResult> UpdateAsync<TArg>(ITemporalClient client, Guid workspaceId, string update, TArg argument, CancellationToken cancellationToken)
    {
        try
        {
            var view = await client.GetWorkflowHandle(WorkflowIds.Instance(workspaceId)).ExecuteUpdateAsync<WorkspaceView>(
                update, [argument], new WorkflowUpdateOptions { Rpc = new() { CancellationToken = cancellationToken } });
            return ApiJson.Ok(WorkspaceViews.FromWorkflow(view));
        }
        catch (WorkflowUpdateFailedException e) when (e.InnerException is ApplicationFailureException failure)
        {
            return failure.ErrorType switch
            {
                WorkspaceFailures.InvalidRequest => BadRequest(failure),
                WorkspaceFailures.NotAWorkspace or WorkspaceFailures.Conflict =>
                    ApiJson.Problem(StatusCodes.Status409Conflict, $"workspace {workspaceId}: {failure.Message}", "id"),
                _ => ApiJson.Problem(StatusCodes.Status500InternalServerError, $"workspace {workspaceId}: {update} failed in its workflow ({failure.ErrorType}): {failure.Message}"),
            };
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            throw NoWorkflow(workspaceId);
        }
    }

    private static async Task SignalAsync<TArg>(ITemporalClient client, Guid workspaceId, string signal, TArg argument, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetWorkflowHandle(WorkflowIds.Instance(workspaceId)).SignalAsync(
                signal, [argument], new WorkflowSignalOptions { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            throw NoWorkflow(workspaceId);
        }
    }

    private static CatalogNotFoundException NoWorkflow(Guid workspaceId) =>
        new($"workspace {workspaceId} has no running workflow (it has ended); nothing can change it");

    /// <summary>The workflow names the field in its own words (<c>ttl</c>); the answer uses the request's (<c>ttl_ms</c>).</summary>
    private static IResult BadRequest(ApplicationFailureException failure)
    {
        var named = failure.Details.Count > 0 ? failure.Details.ElementAt<string>(0) : "body";
        var field = named switch
        {
            "ttl" => "ttl_ms",
            "initiator" => "initiator_id",
            _ => named,
        };

        // "workspace 7f…: ttl: must be at least 1 minute" → "ttl_ms: workspace 7f…: must be at least 1 minute".
        var at = failure.Message.IndexOf($"{named}: ", StringComparison.Ordinal);
        var problem = at < 0 ? failure.Message : failure.Message.Remove(at, named.Length + 2);
        return ApiJson.Problem(StatusCodes.Status400BadRequest, $"{field}: {problem}", field);
    }
}
