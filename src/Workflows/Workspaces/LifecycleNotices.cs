namespace Lifecycle.Workflows.Workspaces;

/// <summary>
/// Labels of the notifications the lifecycle rules send (spec A20, A30), computed from the committed state so
/// what a user reads is what will happen.
/// </summary>
public static class LifecycleNotices
{
    /// <summary>The reason label of the dormancy notification.</summary>
    public const string InactivityReason = "inactivity exceeded the dormancy threshold";

    /// <summary>The pause_reason label of "Task paused" when the rules stopped a task's workspace (spec A21).</summary>
    public const string IdleTimeoutPauseReason = "idle timeout";

    /// <summary>
    /// "Workspace dormant": the name, the reason and, only when deletion is actually scheduled,
    /// <c>timeTilDelete</c> stating the true deletion time (deleting_at) relative to <paramref name="now"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Dormant(string workspaceName, DateTimeOffset? deletingAt, DateTimeOffset now)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = workspaceName,
            ["reason"] = InactivityReason,
        };
        if (deletingAt is { } at)
            labels["timeTilDelete"] = RelativeTime.Describe(at, now);
        return labels;
    }

    /// <summary>"Workspace autostop reminder": the workspace name and <c>timeTilShutdown</c>.</summary>
    public static IReadOnlyDictionary<string, string> AutostopReminder(string workspaceName, DateTimeOffset deadline, DateTimeOffset now) =>
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["workspace"] = workspaceName,
            ["timeTilShutdown"] = RelativeTime.Describe(deadline, now),
        };

    /// <summary>"Workspace auto-updated": sent after an autostart moved the workspace to the active version.</summary>
    public static IReadOnlyDictionary<string, string> AutoUpdated(string workspaceName, BuildReason reason, string versionName, string? versionMessage) =>
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = workspaceName,
            ["initiator"] = "autobuild",
            ["reason"] = reason.ToString().ToLowerInvariant(),
            ["template_version_name"] = versionName,
            ["template_version_message"] = string.IsNullOrEmpty(versionMessage) ? "None provided" : versionMessage,
        };

    /// <summary>"Task paused" (spec A21): the task's name and id, the workspace's name, and why it paused.</summary>
    public static IReadOnlyDictionary<string, string> TaskPaused(WorkspaceTask task, string workspaceName)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["task"] = task.Name,
            ["task_id"] = task.Id.ToString(),
            ["workspace"] = workspaceName,
            ["pause_reason"] = IdleTimeoutPauseReason,
        };
    }
}
