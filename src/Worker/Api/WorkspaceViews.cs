using Lifecycle.Activities.Catalog;
using Lifecycle.Activities.Store;
using Lifecycle.Workflows.Instances;

namespace Lifecycle.Worker.Api;

/// <summary>
/// The JSON of a workspace: from the store (<c>GET</c>, <c>POST /workspaces</c>) or from its workflow (the answer of
/// start, stop and schedule). Both use the same names; the store view adds what only the store knows (template, preset,
/// owner name), the workflow view what only the workflow knows (<c>phase</c>, <c>next_due_at</c>).
/// </summary>
public static class WorkspaceViews
{
    public static object FromStore(WorkspaceDetails d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new
        {
            d.Id,
            d.Name,
            owner_id = d.OwnerId,
            owner_name = d.OwnerName,
            organization_id = d.OrganizationId,
            template_id = d.TemplateId,
            template_name = d.TemplateName,
            preset_id = d.PresetId,
            prebuild = d.IsPrebuild,
            d.Deleted,
            status = d.InstanceStatus,
            autostart_schedule = d.AutostartSchedule,
            ttl_ms = Ms(d.Ttl),
            automatic_updates = d.AutomaticUpdates,
            last_used_at = d.LastUsedAt,
            dormant_at = d.DormantAt,
            deleting_at = d.DeletingAt,
            next_start_at = d.NextStartAt,
            ready_at = d.ReadyAt,
            created_at = d.CreatedAt,
            updated_at = d.UpdatedAt,
            task_id = d.TaskId,
            task_name = d.TaskName,
            latest_build = d.BuildNumber is { } number
                ? new
                {
                    build_number = number,
                    transition = d.BuildTransition,
                    status = d.BuildStatus,
                    reason = d.BuildReason,
                    initiator_id = d.BuildInitiatorId,
                    template_version_id = d.BuildTemplateVersionId,
                    deadline = d.BuildDeadline,
                    max_deadline = d.BuildMaxDeadline,
                    created_at = d.BuildCreatedAt,
                    completed_at = d.BuildCompletedAt,
                    error = d.BuildError,
                }
                : null,
        };
    }

    public static object FromWorkflow(WorkspaceView v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new
        {
            id = v.InstanceId,
            v.Name,
            owner_id = v.OwnerId,
            phase = v.Phase.ToStoredText(),
            status = v.Status.ToStoredText(),
            autostart_schedule = v.AutostartSchedule,
            ttl_ms = Ms(v.Ttl),
            automatic_updates = v.AutomaticUpdates.ToStoredText(),
            last_used_at = v.LastUsedAt,
            dormant_at = v.DormantAt,
            deleting_at = v.DeletingAt,
            next_start_at = v.NextStartAt,
            next_due_at = v.NextDueAt,
            latest_build = v.BuildNumber > 0
                ? new
                {
                    build_number = v.BuildNumber,
                    transition = v.LatestTransition?.ToStoredText(),
                    status = v.LatestStatus?.ToStoredText(),
                    reason = v.LatestReason?.ToStoredText(),
                    deadline = v.Deadline,
                    max_deadline = v.MaxDeadline,
                }
                : null,
        };
    }

    private static long? Ms(TimeSpan? value) => value is { } t ? ApiFields.Ms(t) : null;
}
