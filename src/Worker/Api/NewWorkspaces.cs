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

namespace Lifecycle.Worker.Api;

/// <summary>Body of <c>POST /api/v1/workspaces/claim</c> and <c>POST /api/v1/workspaces</c>.</summary>
public sealed record NewWorkspaceRequest
{
    public Guid? PresetId { get; init; }

    public Guid? OwnerId { get; init; }

    public string? Name { get; init; }

    /// <summary>Weekly cron with optional <c>CRON_TZ=</c>; absent = no autostart.</summary>
    public string? AutostartSchedule { get; init; }

    /// <summary>Autostop TTL in milliseconds; absent or 0 = the template default.</summary>
    public long? TtlMs { get; init; }

    /// <summary>The AI task the workspace is created for (spec A21); set together with <see cref="TaskName"/>.</summary>
    public Guid? TaskId { get; init; }

    /// <summary>The AI task's name, shown in its "Task paused" notification.</summary>
    public string? TaskName { get; init; }
}

/// <summary>A checked request for a new workspace: what a claim asks the workflow for and what a fresh workspace is made of.</summary>
/// <param name="Target">The preset with its template.</param>
/// <param name="OwnerId">The active, non-system user who will own it.</param>
/// <param name="Name">The workspace name, free for the owner when checked.</param>
/// <param name="Ttl">The TTL as requested (the claim update checks it again against the template).</param>
/// <param name="Settings">The schedule fields to store, validated against the template's policy.</param>
/// <param name="Task">The AI task the workspace is created for; null for an ordinary workspace.</param>
public sealed record NewWorkspacePlan(ClaimTarget Target, Guid OwnerId, string Name, TimeSpan? Ttl, WorkspaceSettings Settings, WorkspaceTask? Task = null);

/// <summary>
/// What a claim and a fresh workspace share: checking the request (preset on the active version of a live template, an
/// active non-system owner without a workspace of that name, Coder's name rule, cron and TTL against the template), and
/// making the workspace from scratch — the rows (<see cref="FreshWorkspaces"/>) and then its Instance workflow.
/// </summary>
public static partial class NewWorkspaces
{
    private const int NameMaxLength = 32;
    private const int TaskNameMaxLength = 64;

    /// <summary>Checks the request; every problem is a <see cref="CatalogException"/> naming the field (400, or 409 for a taken name).</summary>
    public static async Task<NewWorkspacePlan> PlanAsync(NpgsqlDataSource dataSource, NewWorkspaceRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var presetId = ApiFields.Required(body.PresetId, "preset_id");
        var ownerId = ApiFields.Required(body.OwnerId, "owner_id");
        var name = ValidName(body.Name);
        var ttl = body.TtlMs is { } ms ? ApiFields.Milliseconds(ms, "ttl_ms", LifecycleConstants.MaximumTtl) : (TimeSpan?)null;
        var task = ValidTask(body.TaskId, body.TaskName);

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
        return new NewWorkspacePlan(target, ownerId, name, ttl, Settings(body.AutostartSchedule, ttl, target), task);
    }

    /// <summary>
    /// Inserts the workspace's rows and starts its Instance workflow on <c>ReconcileSettings.InstanceTaskQueue</c>, or
    /// else the worker's task queue. A name taken meanwhile is a 409.
    /// </summary>
    public static Task<FreshWorkspace> CreateFreshAsync(NpgsqlDataSource dataSource, ITemporalClient client, IServiceProvider services, NewWorkspacePlan plan, CancellationToken cancellationToken) =>
        CreateFreshAsync(dataSource, client, services, plan, claimMissed: false, cancellationToken);

    /// <summary>As <c>CreateFreshAsync</c> for a claim that found no claimable prebuild: the workspace is recorded as the preset's miss (spec B16).</summary>
    public static Task<FreshWorkspace> CreateAfterMissAsync(NpgsqlDataSource dataSource, ITemporalClient client, IServiceProvider services, NewWorkspacePlan plan, CancellationToken cancellationToken) =>
        CreateFreshAsync(dataSource, client, services, plan, claimMissed: true, cancellationToken);

    private static async Task<FreshWorkspace> CreateFreshAsync(NpgsqlDataSource dataSource, ITemporalClient client, IServiceProvider services, NewWorkspacePlan plan, bool claimMissed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var fresh = await (claimMissed
                ? FreshWorkspaces.InsertAfterMissAsync(dataSource, plan.Target, plan.OwnerId, plan.Name, plan.Settings, cancellationToken)
                : FreshWorkspaces.InsertAsync(dataSource, plan.Target, plan.OwnerId, plan.Name, plan.Settings, plan.Task, cancellationToken))
            ?? throw new CatalogConflictException("name", $"user {plan.OwnerId} already has a workspace named \"{plan.Name}\"");
        await StartInstanceAsync(client, services, fresh);
        return fresh;
    }

    /// <summary>Coder's workspace name rule: 1–32 letters, digits and single inner hyphens.</summary>
    public static string ValidName(string? value)
    {
        var name = ApiFields.Name(value, "name", NameMaxLength);
        return NamePattern().IsMatch(name)
            ? name
            : throw new CatalogInputException("name", $"\"{name}\" must be letters, digits and single hyphens between them");
    }

    /// <summary>The AI task link (spec A21): both <c>task_id</c> and <c>task_name</c>, or neither.</summary>
    public static WorkspaceTask? ValidTask(Guid? id, string? name)
    {
        if (id is null && name is null)
            return null;
        if (id is null)
            throw new CatalogInputException("task_id", "is required when task_name is set");
        if (id == Guid.Empty)
            throw new CatalogInputException("task_id", "must not be the empty UUID");
        if (name is null)
            throw new CatalogInputException("task_name", "is required when task_id is set");
        return new WorkspaceTask(id.Value, ApiFields.Name(name, "task_name", TaskNameMaxLength));
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

    [GeneratedRegex("^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
