using Lifecycle.Workflows.Instances;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Lifecycle.Tests.Api;

/// <summary>How the recorder answers the workspace updates: with a view, or with the given failure type and field.</summary>
public sealed record RecorderScript(Guid InstanceId, Guid OwnerId, string Name, string? FailWith = null, string? FailField = null);

/// <summary>Everything the recorder received, in order.</summary>
public sealed record RecorderLog(
    IReadOnlyList<string> Updates,
    IReadOnlyList<WorkspaceBuildRequest> Builds,
    IReadOnlyList<WorkspaceScheduleChange> Schedules,
    IReadOnlyList<WorkspaceActivity> Activities,
    IReadOnlyList<DeleteInstanceRequest> Deletes,
    int OwnerStatusChanged,
    int TemplatePolicyChanged);

/// <summary>
/// Stands in for an Instance workflow's workspace handlers at <c>instance:{id}</c> (the names and argument types of
/// <see cref="WorkspaceHandlers"/>): records what the API sends and answers as the script says, so the API's side of
/// the contract — arguments, defaults, and the mapping of each failure type to HTTP — is tested on its own.
/// </summary>
[Workflow("ApiTests.WorkspaceHandlersRecorder")]
public sealed class WorkspaceHandlersRecorder
{
    private readonly List<string> updates = [];
    private readonly List<WorkspaceBuildRequest> builds = [];
    private readonly List<WorkspaceScheduleChange> schedules = [];
    private readonly List<WorkspaceActivity> activities = [];
    private readonly List<DeleteInstanceRequest> deletes = [];
    private RecorderScript script = null!;
    private int ownerStatusChanged;
    private int templatePolicyChanged;
    private bool done;

    [WorkflowQuery("log")]
    public RecorderLog Log => new(updates, builds, schedules, activities, deletes, ownerStatusChanged, templatePolicyChanged);

    [WorkflowRun]
    public async Task RunAsync(RecorderScript script)
    {
        this.script = script;
        await Workflow.WaitConditionAsync(() => done);
    }

    [WorkflowUpdate(WorkspaceHandlers.Start)]
    public Task<WorkspaceView> StartAsync(WorkspaceBuildRequest request)
    {
        updates.Add(WorkspaceHandlers.Start);
        builds.Add(request);
        return Task.FromResult(Answer(Workflows.Workspaces.BuildTransition.Start, null, null));
    }

    [WorkflowUpdate(WorkspaceHandlers.Stop)]
    public Task<WorkspaceView> StopAsync(WorkspaceBuildRequest request)
    {
        updates.Add(WorkspaceHandlers.Stop);
        builds.Add(request);
        return Task.FromResult(Answer(Workflows.Workspaces.BuildTransition.Stop, null, null));
    }

    [WorkflowUpdate(WorkspaceHandlers.Schedule)]
    public Task<WorkspaceView> ScheduleAsync(WorkspaceScheduleChange change)
    {
        updates.Add(WorkspaceHandlers.Schedule);
        schedules.Add(change);
        return Task.FromResult(Answer(Workflows.Workspaces.BuildTransition.Start, change.AutostartSchedule, change.Ttl));
    }

    [WorkflowSignal(WorkspaceHandlers.Activity)]
    public Task ActivityAsync(WorkspaceActivity activity)
    {
        activities.Add(activity);
        return Task.CompletedTask;
    }

    [WorkflowSignal(WorkspaceHandlers.Delete)]
    public Task DeleteAsync(DeleteInstanceRequest request)
    {
        deletes.Add(request);
        return Task.CompletedTask;
    }

    [WorkflowSignal(WorkspaceHandlers.OwnerStatusChanged)]
    public Task OwnerStatusChangedAsync()
    {
        ownerStatusChanged++;
        return Task.CompletedTask;
    }

    [WorkflowSignal(WorkspaceHandlers.TemplatePolicyChanged)]
    public Task TemplatePolicyChangedAsync()
    {
        templatePolicyChanged++;
        return Task.CompletedTask;
    }

    [WorkflowSignal("finish")]
    public Task FinishAsync()
    {
        done = true;
        return Task.CompletedTask;
    }

    private WorkspaceView Answer(Workflows.Workspaces.BuildTransition transition, string? schedule, TimeSpan? ttl)
    {
        if (script.FailWith is { } type)
            throw new ApplicationFailureException($"workspace {script.InstanceId}: {(script.FailField is null ? string.Empty : $"{script.FailField}: ")}refused as scripted", errorType: type, details: script.FailField is null ? [] : [script.FailField]);
        return new WorkspaceView
        {
            InstanceId = script.InstanceId,
            Name = script.Name,
            OwnerId = script.OwnerId,
            Phase = InstancePhase.Ready,
            Status = InstanceStatus.Running,
            AutostartSchedule = schedule,
            Ttl = ttl,
            BuildNumber = updates.Count + 1,
            LatestTransition = transition,
            LatestStatus = Workflows.Workspaces.BuildStatus.Pending,
            LatestReason = Workflows.Workspaces.BuildReason.Initiator,
            Deadline = Workflow.UtcNow.AddHours(8),
            NextDueAt = Workflow.UtcNow.AddHours(8),
        };
    }
}
