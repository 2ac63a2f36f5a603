namespace Lifecycle.Workflows;

/// <summary>Workflow ids: the id of each long-lived workflow is the lock on the thing it owns.</summary>
public static class WorkflowIds
{
    /// <summary>The id of the workflow that owns one instance's whole life.</summary>
    public static string Instance(Guid instanceId) => $"instance:{instanceId}";

    /// <summary>The id of the workflow that reconciles one preset.</summary>
    public static string Preset(Guid presetId) => $"preset:{presetId}";
}
