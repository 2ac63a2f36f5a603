using Temporalio.Exceptions;

namespace Lifecycle.Workflows.Instances;

/// <summary>The failures the workspace updates end with (types of <see cref="WorkspaceFailures"/>), each naming the workspace.</summary>
public static class WorkspaceFailure
{
    /// <summary>A bad field: the failure's first detail is the field's name (<c>autostart_schedule</c>, <c>ttl</c>).</summary>
    public static ApplicationFailureException Invalid(Guid instanceId, string field, string problem) =>
        new($"workspace {instanceId}: {field}: {problem}", WorkspaceFailures.InvalidRequest, nonRetryable: true, details: [field]);

    /// <summary>The instance is an unclaimed prebuild.</summary>
    public static ApplicationFailureException NotAWorkspace(Guid instanceId, string why) =>
        new($"instance {instanceId} {why}", WorkspaceFailures.NotAWorkspace, nonRetryable: true);

    /// <summary>A build is in flight, or the workspace is being deleted or created.</summary>
    public static ApplicationFailureException Conflict(Guid instanceId, string why) =>
        new($"workspace {instanceId} {why}", WorkspaceFailures.Conflict, nonRetryable: true);
}
