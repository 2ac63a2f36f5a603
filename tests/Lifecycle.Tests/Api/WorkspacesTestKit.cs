using System.Net;
using Dapper;
using Lifecycle.Tests.Reconciliation;
using Lifecycle.Workflows;
using Npgsql;
using Temporalio.Client;

namespace Lifecycle.Tests.Api;

/// <summary>A template made through the API, with its active version's preset.</summary>
internal sealed record WorkspaceTemplate(Guid OrganizationId, Guid TemplateId, Guid VersionId, Guid PresetId);

/// <summary>
/// What the workspace route tests share: templates and users made through the API, workspace rows seeded as a claim
/// leaves them, stand-in workflows (<see cref="WorkspaceHandlersRecorder"/>) at <c>instance:{id}</c> that are always
/// terminated, and a fingerprint of every table a workspace write could touch.
/// </summary>
internal sealed class WorkspacesTestKit(ApiTestHost api, NpgsqlDataSource database, ITemporalClient client, string taskQueue)
{
    private readonly List<WorkflowHandle> started = [];

    public ApiTestHost Api { get; } = api;

    public string TaskQueue { get; } = taskQueue;

    /// <summary>A template on the process provider, PATCHed with <paramref name="policy"/> when given, and its active preset.</summary>
    public async Task<WorkspaceTemplate> TemplateAsync(object? policy = null)
    {
        var org = await Api.OrganizationAsync();
        var template = await Api.TemplateAsync(org);
        var (version, preset) = await Api.VersionAsync(template, desired: 0);
        if (policy is not null)
            Ok(await Api.PatchAsync($"/api/v1/templates/{template}", policy));
        return new WorkspaceTemplate(org, template, version, preset);
    }

    public async Task<Guid> UserAsync(string status = "active") =>
        Ok(await Api.PostAsync("/api/v1/users", new { username = $"u-{Guid.NewGuid():N}", status }), HttpStatusCode.Created).Id;

    /// <summary>A workspace row of the template's preset owned by <paramref name="owner"/> (the prebuilds user when null), with one succeeded start build.</summary>
    public Task<Guid> WorkspaceAsync(WorkspaceTemplate template, Guid? owner, bool deleted = false) =>
        new PrebuildSeed(database, template.OrganizationId, template.TemplateId, template.VersionId)
            .InstanceAsync(template.PresetId, [new SeedBuild("start", Job.Succeeded)], ready: true, owner: owner, deleted: deleted);

    /// <summary>Starts the stand-in workflow at the workspace's id; <see cref="TerminateAllAsync"/> ends it.</summary>
    public async Task<WorkflowHandle<WorkspaceHandlersRecorder>> RecorderAsync(Guid workspaceId, Guid ownerId, string? failWith = null, string? failField = null)
    {
        var handle = await client.StartWorkflowAsync(
            (WorkspaceHandlersRecorder wf) => wf.RunAsync(new RecorderScript(workspaceId, ownerId, "w", failWith, failField)),
            new(WorkflowIds.Instance(workspaceId), TaskQueue));
        started.Add(handle);
        return handle;
    }

    /// <summary>Terminates every stand-in this kit started (a test server must not keep workflows nobody runs).</summary>
    public async Task TerminateAllAsync()
    {
        foreach (var handle in started)
        {
            try
            {
                await handle.TerminateAsync("test done");
            }
            catch (Temporalio.Exceptions.RpcException e) when (e.Code == Temporalio.Exceptions.RpcException.StatusCode.NotFound)
            {
                // Already ended.
            }
        }
        started.Clear();
    }

    /// <summary>Every table the API or a workspace write touches: counts and newest update times.</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var connection = await database.OpenConnectionAsync();
        var workspaces = await connection.QuerySingleAsync<string>(
            """
            SELECT concat_ws(' ', (SELECT count(*) FROM workspaces), (SELECT max(updated_at) FROM workspaces),
                   (SELECT string_agg(coalesce(autostart_schedule, '-') || coalesce(ttl::text, '-') || instance_status, ',' ORDER BY id) FROM workspaces),
                   (SELECT count(*) FROM workspace_builds), (SELECT max(updated_at) FROM workspace_builds),
                   (SELECT count(*) FROM provisioner_jobs), (SELECT count(*) FROM notifications))
            """);
        return $"{await ApiRows.FingerprintAsync(database)} workspaces={workspaces}";
    }

    public static ApiAnswer Ok(ApiAnswer answer, HttpStatusCode expected = HttpStatusCode.OK) =>
        answer.Status == expected ? answer : throw new InvalidOperationException($"expected {(int)expected}, got {answer}");
}
