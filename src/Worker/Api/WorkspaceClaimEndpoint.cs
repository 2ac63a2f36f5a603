using System.Text.RegularExpressions;
using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Instances;
using Lifecycle.Activities.Reconciliation;
using Lifecycle.Activities.Store;
using Lifecycle.Worker.Configuration;
using Lifecycle.Workflows;
using Lifecycle.Workflows.Instances;
using Lifecycle.Workflows.Workspaces;
using Npgsql;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/workspaces/claim</c>.</summary>
public sealed record WorkspaceClaimRequest
{
    public Guid? PresetId { get; init; }

    public Guid? OwnerId { get; init; }

    public string? Name { get; init; }

    /// <summary>Weekly cron with optional <c>CRON_TZ=</c>; absent = no autostart.</summary>
    public string? AutostartSchedule { get; init; }

    /// <summary>Autostop TTL in milliseconds; absent or 0 = the template default.</summary>
    public long? TtlMs { get; init; }
}

/// <summary>
/// <c>POST /api/v1/workspaces/claim</c> (spec prebuilds.md B29–B30): sends the Instance workflow's <c>claim</c> update
/// to the preset's claimable prebuilds, oldest ready first, until one accepts (200); with none, creates the workspace
/// fresh for the owner and starts its Instance workflow (201). The store decides races: the claim changes the row only
/// while the prebuilds user owns it, so two concurrent claims never get the same prebuild.
/// </summary>
public static partial class WorkspaceClaimEndpoint
{
    private const int NameMaxLength = 32;

    public static RouteGroupBuilder MapWorkspaceClaim(this RouteGroupBuilder api)
    {
        api.MapPost("/workspaces/claim", async (HttpRequest request, NpgsqlDataSource dataSource, ITemporalClient client, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var body = await ApiJson.ReadAsync<WorkspaceClaimRequest>(request, cancellationToken);
            var presetId = ApiFields.Required(body.PresetId, "preset_id");
            var ownerId = ApiFields.Required(body.OwnerId, "owner_id");
            var name = WorkspaceName(body.Name);
            var ttl = body.TtlMs is { } ms ? ApiFields.Milliseconds(ms, "ttl_ms", LifecycleConstants.MaximumTtl) : (TimeSpan?)null;

            var target = await FreshWorkspaces.ReadTargetAsync(dataSource, presetId, cancellationToken)
                ?? throw new CatalogInputException("preset_id", $"preset {presetId} not found");
            if (target.TemplateDeleted)
                throw new CatalogInputException("preset_id", $"preset {presetId}: its template {target.TemplateId} is deleted");
            if (target.ActiveVersionId != target.TemplateVersionId)
                throw new CatalogInputException("preset_id", $"preset {presetId}: belongs to version {target.TemplateVersionId}, not the template's active version {target.ActiveVersionId?.ToString() ?? "(none)"}");
            var owner = await FreshWorkspaces.ReadOwnerAsync(dataSource, ownerId, name, cancellationToken)
                ?? throw new CatalogInputException("owner_id", $"user {ownerId} not found");
            if (owner.IsSystem)
                throw new CatalogInputException("owner_id", $"user {ownerId} is a system user and cannot own workspaces");
            if (owner.Status == OwnerStatus.Suspended.ToStoredText())
                throw new CatalogInputException("owner_id", $"user {ownerId} is suspended");
            if (owner.HasWorkspaceNamed)
                throw new CatalogConflictException("name", $"user {ownerId} already has a workspace named \"{name}\"");
            var settings = Settings(body.AutostartSchedule, ttl, target);

            var claim = new ClaimRequest(ownerId, name, presetId, settings.AutostartSchedule, ttl);
            foreach (var candidate in await ClaimablePrebuilds.ListAsync(dataSource, presetId, cancellationToken: cancellationToken))
            {
                if (await TryClaimAsync(client, candidate, claim, cancellationToken) is { } claimed)
                    return ApiJson.Ok(View(claimed.InstanceId, claimed.Name, claimed.OwnerId, claimed.PresetId, claimed.TemplateId, claimed.AutostartSchedule, claimed.Ttl, claimed.NextStartAt, fromPrebuild: true));
            }

            var fresh = await FreshWorkspaces.InsertAsync(dataSource, target, ownerId, name, settings, cancellationToken)
                ?? throw new CatalogConflictException("name", $"user {ownerId} already has a workspace named \"{name}\"");
            await StartInstanceAsync(client, services, fresh);
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

    private static async Task StartInstanceAsync(ITemporalClient client, IServiceProvider services, FreshWorkspace fresh)
    {
        var reconcile = services.GetService<ReconcileSettings>();
        var taskQueue = reconcile?.InstanceTaskQueue ?? services.GetService<LifecycleOptions>()?.Temporal.TaskQueue
            ?? throw new InvalidOperationException("no task queue for Instance workflows: neither ReconcileSettings.InstanceTaskQueue nor LifecycleOptions is configured");
        var input = new InstanceWorkflowInput(
            fresh.InstanceId, fresh.InstanceName, fresh.ProviderName, fresh.PresetId, fresh.TemplateId, fresh.BootstrapTimeout, reconcile?.CreateRetry ?? new CreateRetryPolicy());
        await client.StartWorkflowAsync(
            (InstanceWorkflow w) => w.RunAsync(input),
            new WorkflowOptions(WorkflowIds.Instance(fresh.InstanceId), taskQueue) { IdReusePolicy = WorkflowIdReusePolicy.RejectDuplicate });
    }

    private static WorkspaceSettings Settings(string? schedule, TimeSpan? ttl, ClaimTarget target)
    {
        try
        {
            return WorkspaceScheduleRequest.ForClaim(DateTimeOffset.UtcNow, schedule, ttl, AutomaticUpdates.Never, target.Policy);
        }
        catch (ScheduleFormatException e)
        {
            throw new CatalogInputException("autostart_schedule", e.Problem);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new CatalogInputException("ttl_ms", e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    /// <summary>Coder's workspace name rule: 1–32 letters, digits and single inner hyphens.</summary>
    private static string WorkspaceName(string? value)
    {
        var name = ApiFields.Name(value, "name", NameMaxLength);
        return NamePattern().IsMatch(name)
            ? name
            : throw new CatalogInputException("name", $"\"{name}\" must be letters, digits and single hyphens between them");
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

    [GeneratedRegex("^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
