using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Instances;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Npgsql;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>
/// <c>POST /api/v1/workspaces/claim</c> (spec prebuilds.md B29–B30): sends the Instance workflow's <c>claim</c> update
/// to the preset's claimable prebuilds, oldest ready first, until one accepts (200); with none, creates the workspace
/// fresh for the owner and starts its Instance workflow (201, <see cref="NewWorkspaces"/>, as <c>POST /workspaces</c>
/// does). The store decides races: the claim changes the row only while the prebuilds user owns it, so two concurrent
/// claims never get the same prebuild.
/// </summary>
public static class WorkspaceClaimEndpoint
{
    public static RouteGroupBuilder MapWorkspaceClaim(this RouteGroupBuilder api)
    {
        api.MapPost("/workspaces/claim", async (HttpRequest request, NpgsqlDataSource dataSource, ITemporalClient client, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<NewWorkspaceRequest>(request, cancellationToken);
            var plan = await NewWorkspaces.PlanAsync(dataSource, body, cancellationToken);
            if (plan.Task is not null)
                throw new CatalogInputException("task_id", "a claim cannot link an AI task; create the task's workspace with POST /api/v1/workspaces");

            var claim = new ClaimRequest(plan.OwnerId, plan.Name, plan.Target.PresetId, plan.Settings.AutostartSchedule, plan.Ttl);
            foreach (var candidate in await ClaimablePrebuilds.ListAsync(dataSource, plan.Target.PresetId, cancellationToken: cancellationToken))
            {
                if (await TryClaimAsync(client, candidate, claim, cancellationToken) is { } claimed)
                    return ApiJson.Ok(View(claimed.InstanceId, claimed.Name, claimed.OwnerId, claimed.PresetId, claimed.TemplateId, claimed.AutostartSchedule, claimed.Ttl, claimed.NextStartAt, fromPrebuild: true));
            }

            var fresh = await NewWorkspaces.CreateAfterMissAsync(dataSource, client, services, plan, cancellationToken);
            return ApiJson.Created(
                $"/api/v1/workspaces/{fresh.InstanceId}",
                View(fresh.InstanceId, fresh.Name, fresh.OwnerId, fresh.PresetId, fresh.TemplateId, fresh.AutostartSchedule, fresh.Ttl, fresh.NextStartAt, fromPrebuild: false));
        });
        return api;
    }

    /// <summary>The claimed workspace, or null when this prebuild is not (any more) claimable and the next should be tried.</summary>
    private static async Task<ClaimedWorkspace?> TryClaimAsync(ITemporalClient client, Guid instanceId, ClaimRequest claim, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetWorkflowHandle<InstanceWorkflow>(WorkflowIds.Instance(instanceId))
                .ExecuteUpdateAsync(w => w.ClaimAsync(claim), new() { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (WorkflowUpdateFailedException e) when (e.InnerException is ApplicationFailureException failure)
        {
            return failure.ErrorType switch
            {
                ClaimFailures.NameTaken => throw new CatalogConflictException("name", failure.Message.Replace("name: ", string.Empty, StringComparison.Ordinal)),
                ClaimFailures.InvalidRequest => throw new CatalogInputException("body", failure.Message),
                _ => null,
            };
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            // The workflow finished (the prebuild was deleted) since the list was read.
            return null;
        }
    }

    private static object View(Guid id, string name, Guid ownerId, Guid? presetId, Guid templateId, string? schedule, TimeSpan? ttl, DateTimeOffset? nextStartAt, bool fromPrebuild) => new
    {
        id,
        name,
        owner_id = ownerId,
        preset_id = presetId,
        template_id = templateId,
        autostart_schedule = schedule,
        ttl_ms = ttl is { } t ? ApiFields.Ms(t) : (long?)null,
        next_start_at = nextStartAt,
        claimed_from_prebuild = fromPrebuild,
    };
}
