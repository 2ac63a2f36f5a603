using Temporalio.Activities;

namespace Lifecycle.Workflows.Prebuilds;

/// <summary>
/// Resource-replacement tracking (spec B32): the build that follows a claim replaced parts of the prebuild, so the
/// prebuild did not save the work it was made for. Called by whatever runs the claimed workspace's first build when
/// its provider reports replacements; declared here so workflow code never references the store.
/// </summary>
public interface IResourceReplacementActivities
{
    /// <summary>
    /// Counts the claim once in <c>coderd_prebuilt_workspaces_resource_replacements_total</c> and tells every template
    /// admin, in one transaction keyed by the instance: a retry or a second report of the same claim changes nothing.
    /// </summary>
    [Activity(ResourceReplacementReport.ActivityName)]
    Task<ResourceReplacementResult> RecordResourceReplacementAsync(ResourceReplacementReport report);
}

/// <summary>What a claimed workspace's build replaced: each resource with the attribute paths that forced it.</summary>
/// <param name="InstanceId">The claimed prebuild.</param>
/// <param name="Replacements">Resource address → attribute paths (e.g. <c>docker_container[0]</c> → <c>env</c>, <c>image</c>).</param>
public sealed record ResourceReplacementReport(Guid InstanceId, IReadOnlyDictionary<string, IReadOnlyList<string>> Replacements)
{
    /// <summary>The activity's name.</summary>
    public const string ActivityName = "RecordResourceReplacement";
}

/// <summary>What the tracking recorded.</summary>
/// <param name="Counted">This call counted the claim (false when an earlier call already had, or nothing was replaced).</param>
/// <param name="NotificationsEnqueued">Messages this call enqueued (one per template admin, the first time only).</param>
public sealed record ResourceReplacementResult(bool Counted, int NotificationsEnqueued);
