using Lifecycle.Workflows.Prebuilds;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Lifecycle.Activities.Reconciliation;

/// <summary>
/// Resource-replacement tracking (spec B32): the store records the claim once and notifies the template admins; the
/// counter <c>coderd_prebuilt_workspaces_resource_replacements_total</c> is bumped only by the call that recorded it.
/// </summary>
public sealed class ResourceReplacementActivities(
    NpgsqlDataSource dataSource,
    PrebuildMetrics metrics,
    ILogger<ResourceReplacementActivities>? logger = null) : IResourceReplacementActivities
{
    private readonly ILogger logger = logger ?? NullLogger<ResourceReplacementActivities>.Instance;

    /// <inheritdoc/>
    [Activity(ResourceReplacementReport.ActivityName)]
    public async Task<ResourceReplacementResult> RecordResourceReplacementAsync(ResourceReplacementReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var cancellationToken = ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : default;
        try
        {
            var record = await PrebuildResourceReplacement.RecordAsync(dataSource, report, cancellationToken);
            if (record.Counted)
            {
                metrics.RecordResourceReplacement(record.Labels);
                logger.LogWarning(
                    "claimed prebuild {InstanceId} of preset {Preset} (template {Template}): its build replaced {Count} resource(s); {Notified} admin(s) notified",
                    report.InstanceId, record.Labels.PresetName, record.Labels.TemplateName, report.Replacements.Count, record.Notified);
            }
            return new ResourceReplacementResult(record.Counted, record.Notified);
        }
        catch (ResourceReplacementTargetException e)
        {
            throw new ApplicationFailureException(e.Message, e, "NotAClaimedPrebuild", nonRetryable: true);
        }
    }
}
